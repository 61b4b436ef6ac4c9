"""The trained model, named by a hash of its inputs and trained only when they change.

Usage: python -m bot.model [--config CONFIG] [--out DIR]  (prints the model's path)
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
log = logging.getLogger(__name__)


def input_files(config: Path) -> list[Path]:
    """Everything that shapes the model: domain, pipeline config, training data, NLU components."""
    files = [ROOT / "domain.yml", config]
    files += sorted(p for p in (ROOT / "data").rglob("*") if p.is_file())
    return files + [ROOT / "bot" / "tokenizer.py"]  # the project's own NLU component


def inputs_hash(config: Path) -> str:
    """A short, stable digest of the model's inputs (names and contents)."""
    digest = hashlib.sha256()
    for path in input_files(config):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path(config: Path, out: Path = MODELS) -> Path:
    config = config.resolve()
    stem = "screening" if config == (ROOT / "config.yml").resolve() else config.stem
    return out / f"{stem}-{inputs_hash(config)}.tar.gz"


def ensure_model(config: Path = ROOT / "config.yml", out: Path = MODELS) -> Path:
    """The model for these inputs, trained first if it is not in the cache."""
    config = config.resolve()
    target = model_path(config, out)
    if target.exists():
        return target
    from rasa.api import train  # heavy: imported only when training is needed

    from bot.rasa_runtime import quiet_rasa

    quiet_rasa()
    log.info("training %s (inputs changed)", target.name)
    result = train(
        domain=str(ROOT / "domain.yml"),
        config=str(config),
        training_files=[str(ROOT / "data")],
        output=str(out),
        fixed_model_name=target.name.removesuffix(".tar.gz"),
    )
    if result.code != 0 or not target.exists():
        raise RuntimeError(f"training failed (exit {result.code}); see the messages above")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--out", type=Path, default=MODELS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        print(ensure_model(args.config, args.out))
    except (RuntimeError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
