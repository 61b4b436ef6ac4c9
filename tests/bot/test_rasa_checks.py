"""Rasa's own checks: `rasa data validate`, and intent accuracy on a held-out NLU file."""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

from bot.flow import QUESTIONS

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "data" / "nlu_heldout.yml"
MIN_HELDOUT_ACCURACY = 0.85


def _examples(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text())
    pairs = []
    for block in data["nlu"]:
        for line in block["examples"].splitlines():
            if line.strip().startswith("- "):
                pairs.append((line.strip()[2:].strip(), block["intent"]))
    return pairs


def _responses_sent_by_actions() -> set[str]:
    """Every response name the custom actions (and the channels, after a failed turn) can send."""
    files = [*(ROOT / "bot" / "actions").glob("*.py"), *(ROOT / "bot" / "channels").glob("*.py")]
    source = "\n".join(p.read_text() for p in files)
    sent = set(re.findall(r'"(utter_[a-z_]+)"', source)) - {"utter_action"}  # Rasa's keyword, not a response
    sent |= {f"utter_ask_{q}" for q in QUESTIONS} | {f"utter_reask_{q}" for q in QUESTIONS}
    sent |= {"utter_reask_temperature_implausible", "utter_resume_good_time"}
    return sent


def test_rasa_data_validate_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--fail-on-warnings"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "No story structure conflicts found" in output
    warnings = re.findall(r"UserWarning: (.*)", output)
    unused = {m for w in warnings for m in re.findall(r"The utterance '(\w+)' is not used", w)}
    other = [w for w in warnings if "is not used in any story or rule" not in w or "intent" in w]
    assert other == [], other
    # Responses that no story names must be ones the actions send, or they are dead text.
    assert unused <= _responses_sent_by_actions(), unused - _responses_sent_by_actions()


def test_domain_has_every_response_the_actions_send():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert _responses_sent_by_actions() <= set(domain["responses"])


def test_heldout_examples_are_not_in_the_training_data():
    training = {text.lower() for text, _ in _examples(ROOT / "data" / "nlu.yml")}
    overlap = [text for text, _ in _examples(HELDOUT) if text.lower() in training]
    assert overlap == []


def test_heldout_intent_accuracy(screening_bot, event_loop_for_bot):
    pairs = _examples(HELDOUT)
    misses = Counter()
    for text, intent in pairs:
        parsed = event_loop_for_bot.run_until_complete(screening_bot.agent.parse_message(text))
        if parsed["intent"]["name"] != intent:
            misses[(text, intent, parsed["intent"]["name"])] += 1
    accuracy = 1 - sum(misses.values()) / len(pairs)
    print(f"\nheld-out intent accuracy: {accuracy:.3f} on {len(pairs)} examples")
    for (text, expected, got) in misses:
        print(f"  miss: {text!r}: expected {expected}, got {got}")
    assert accuracy >= MIN_HELDOUT_ACCURACY


def test_every_domain_action_is_served_by_the_action_package():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("bot.actions")
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert set(domain["actions"]) == set(executor.actions)
