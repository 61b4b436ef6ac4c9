"""English answers to "Do you have any of these symptoms today?", read into symptom and red-flag codes.

The answer may come from chat, SMS or speech-to-text, so the text is folded
(core.text) before any matching.

How an answer is read:

1. Symptom and red-flag phrases are found first, longest phrase wins where
   phrases overlap. This is why "I can't smell anything" is a loss of smell
   and "I can't breathe" a red flag: the "can't" is part of the phrase.
2. Negation rule: a symptom phrase is negated when a negator ("no", "not",
   "don't", "doesn't", "haven't", "without", "never", "nor", "neither",
   "none", "nothing", ...) occurs *before it in the same clause* and outside
   any other matched phrase. A clause ends at punctuation (, . ; : ! ?), at
   "but", "except", "though", "however", "apart from", "other than",
   "besides", "yes", "maybe", "perhaps", "just", "only", "also", and at "and"
   followed by a new subject ("and I ...", "and my ...", "and it's ...").
   So "no fever or cough" negates both, "no fever, cough" only the fever.
   Negation that follows the phrase ("fever? no") is not recognised.
3. core.symptoms decides: anything named gives a report; otherwise an
   uncertain answer is None, negated phrases or an explicit negative ("no",
   "none", "I feel fine", ...) an empty report, anything else None.
"""

from __future__ import annotations

import re

from bot.understanding.core import symptoms
from bot.understanding.core.phrases import compile_phrases, find_phrases, negated_before
from bot.understanding.core.symptoms import SymptomReport
from bot.understanding.core.text import fold

_IGNORE = symptoms.IGNORE
_FEEL = r"(feel|feels|feeling|felt|im|i am)( so| very| really| a bit| a little| quite)?"

_SYMPTOM_PHRASES: dict[str, tuple[str, ...]] = {
    "fever": (r"fevers?", r"feverish", r"pyrexia", r"burning up",
              r"(high|raised|a|slight|bit of a) temp(erature)?", r"running (a )?(high )?temp(erature)?",
              _FEEL + r" hot"),
    "chills": (r"chills?", r"chilly", r"shiver(s|ing|y)?", r"shaking", r"the shakes", r"rigors?",
               r"cold sweats?", _FEEL + r" (cold|freezing)"),
    "cough": (r"cough(s|ing|ed|y)?", r"(dry|wet|chesty|weak|tickly|hacking|barking) cough"),
    "shortness_of_breath": (r"short of breath", r"shortness of breath", r"breathless(ness)?",
                            r"out of breath", r"winded", r"puffed( out)?", r"wheez(e|es|ing|y)",
                            r"((cant|cannot|can not|trouble|struggling to) )?catch(ing)? my breath",
                            r"breathing (is )?(a bit |a little )?(heavy|laboured|labored|fast)"),
    "fatigue": (r"tired(ness)?", r"exhausted", r"exhaustion", r"fatigued?", r"lethargic", r"lethargy",
                r"(no|low|zero|lack of|lacking|little) energy", r"weak(ness)?", r"worn out",
                r"wiped out", r"run ?down", r"drained", r"knackered", r"drowsy", r"sleepy"),
    "muscle_aches": (r"body ?aches?", r"(muscle|muscular|body|joint)s? (aches?|aching|pains?|soreness|hurts?)",
                     r"achy( body| muscles)?", r"aching( all over| everywhere| muscles| body)?",
                     r"aches( and pains)?", r"sore (muscles|body|joints|all over)", r"myalgia",
                     r"(muscles|body|everything|joints) (is |are )?(sore|aching|hurts?|hurting)",
                     r"(hurts?|hurting|sore) all over"),
    "headache": (r"head ?aches?", r"headachy", r"migraines?", r"(sore|pounding|throbbing|splitting|aching) head",
                 r"head (is |feels )?(pounding|throbbing|aching|hurting|sore|killing me|splitting)",
                 r"head (hurts|aches)"),
    "loss_of_taste_or_smell": (
        r"(cant|cannot|can not|couldnt|unable to) (smell|taste)( or (smell|taste))?( anything| a thing| food| much)?",
        r"(lost|losing|lose|loss of|no|lack of) (my |the )?(sense of )?(taste|smell)( (and|or) (taste|smell))?",
        r"(taste|smell|sense of (taste|smell)) (is |has )?(gone|off|weird|changed|disappeared)",
        r"(food|everything|things) (tastes?|smells?) (like nothing|of nothing|bland|weird|funny|strange"
        r"|different|off|wrong|like cardboard)",
        r"nothing (tastes|smells)( right| the same| normal)?", r"anosmia", r"ageusia"),
    "sore_throat": (r"(sore|scratchy|itchy|raw|painful|burning|tickly) throat",
                    r"throat (is |feels )?(so |very |really |a bit |a little )?"
                    r"(sore|scratchy|itchy|raw|painful|hurting|burning|tickly)",
                    r"throat hurts", r"(painful|hurts|pain|sore|difficult) (to|when i|when|while) swallow(ing)?",
                    r"swallowing (hurts|is painful)", r"strep( throat)?", r"tonsillitis", r"pharyngitis"),
    "runny_nose": (r"(runny|running|blocked|stuffy|stuffed|stuffed up|congested|streaming|snotty|drippy) nose",
                   r"nose (is |keeps )?(running|runny|blocked|stuffy|stuffed( up)?|congested|streaming|dripping)",
                   r"nose runs", r"(nasal )?congestion", r"congested", r"sniffles", r"sniffl(y|ing)",
                   r"snott?y", r"stuffed up", r"blocked up", r"sneez(e|es|ing)", r"catarrh",
                   r"post nasal drip", r"(a|head|common) cold(?! sweat)"),
    "nausea_vomiting": (r"nause(a|ous|ated)", r"queasy", r"sick (to|in) (my|the) stomach",
                        r"(feel|feels|feeling|felt)( so| very| really| a bit| a little| quite)? sick",
                        r"throw(ing|n|s)? up", r"threw up", r"vomit(ing|ed|s)?", r"puk(e|ed|es|ing)",
                        r"being sick", r"been sick", r"retching"),
    "diarrhea": (r"diar+h?o?e?a", r"the runs", r"the trots", r"runny (tummy|stomach)",
                 r"(loose|watery|runny) (stools?|bowels?|poos?|motions?)",
                 r"upset (stomach|tummy) with (the )?runs"),
}

_RED_FLAG_PHRASES: dict[str, tuple[str, ...]] = {
    "difficulty_breathing": (r"difficulty (in )?breathing", r"difficult(y)? to breathe?",
                             r"breathing (is )?(so |very |really )?(difficult|hard)",
                             r"(cant|cannot|can not|unable to|barely|hardly) breathe?",
                             r"(struggling|struggle|struggles|fighting) (to breathe?|for (air|breath))",
                             r"(hard|harder) to breathe?", r"(trouble|problems?) breathing",
                             r"(hard|tough) time breathing", r"gasp(s|ing)?( for (air|breath))?"),
    "chest_pain": (r"chest pains?", r"pains? in (my|the) chest",
                   r"chest (is |feels )?(so |very |really |a bit |a little )?(tight|heavy|painful|sore|hurting)",
                   r"chest (hurts|aches?|tightness|pressure)", r"tight(ness)? (in )?(my |the )?chest",
                   r"pressure (in|on) (my|the) chest", r"(heavy|tight|sore|painful) chest"),
    "confusion": (r"confused", r"confusion", r"disorient(ed|ated)", r"delirious",
                  r"(cant|cannot|can not|unable to) think (straight|clearly|properly)",
                  r"not thinking (straight|clearly)", r"(dont|do not) know where i am"),
    "bluish_lips": (r"(blue|bluish|blueish|purple|grey|gray) (lips|face|skin)",
                    r"lips (are |is |look |looking )?(turning |going |gone |a bit )?"
                    r"(blue|bluish|blueish|purple|grey|gray)",
                    r"face (is |looks )?(turning |going )?(blue|bluish|grey|gray)", r"(turning|going) blue",
                    r"cyanos(is|ed)"),
}

_IGNORED_PHRASES: tuple[str, ...] = (
    r"(stomach|tummy|belly|ear|tooth|back) ?aches?", r"upset (stomach|tummy)",
    r"sick (of|and tired( of)?)", r"no problem",
)

_BOUNDARY_WORDS = re.compile(
    r"\b(but|except|although|though|however|apart from|other than|besides|yes|yeah|maybe|perhaps|just|only|also)\b"
    r"|\band(?= (i|im|ive|id|ill|my|it|its)\b)"
)
_CLAUSE_PUNCTUATION = re.compile(r"[.,;:!?()\[\]]+|--+|\s-\s")
_NEGATOR = re.compile(
    r"\b(no|not|dont|do not|doesnt|does not|didnt|did not|havent|have not|hasnt|has not|hadnt|isnt|arent|aint"
    r"|wasnt|never|without|nor|neither|none|nothing|free of)\b"
)
_UNCERTAIN = re.compile(
    r"\b(dont know|do not know|dunno|not sure|unsure|no idea|not certain|cant remember|cannot remember"
    r"|i guess|maybe|perhaps|possibly)\b"
)
_NEGATIVE_ANSWER = re.compile(
    r"\b(no+|nope|nah|naw|none|nothing|nil|negative|never|neither|no symptoms?|zero symptoms|symptom free"
    r"|not (really|at all|today|that i know of|any)|fine|healthy|all (good|clear|fine|ok|okay)"
    r"|(im|i am|feel|feeling|doing) (good|great|ok|okay|well|alright|all right|normal|grand)"
    r"|i (dont|do not|havent|have not)( got)?( any)?)\b"
)
_NOT_AN_ANSWER = re.compile(
    r"^(what|huh|pardon|why)\b|\bwhat do you mean\b|\bsay (that )?again\b|\brepeat (that|the question)\b"
    r"|\b(dont|do not|didnt|did not) (understand|get it|get that)\b"
)

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (code, compile_phrases(phrases))
    for code, phrases in (*_SYMPTOM_PHRASES.items(), *_RED_FLAG_PHRASES.items(), (_IGNORE, _IGNORED_PHRASES))
)


def _normalize(text: str) -> str:
    """Fold text to lowercase ASCII words separated by single spaces, with "|" marking clause boundaries."""
    folded = _CLAUSE_PUNCTUATION.sub(" | ", fold(text))
    folded = re.sub(r"[^a-z0-9|]+", " ", folded)
    folded = _BOUNDARY_WORDS.sub(" | ", folded)
    return " ".join(folded.split())


def parse_symptoms(text: str) -> SymptomReport | None:
    """Read a free answer about today's symptoms.

    Returns the named symptoms and red flags (see the module docstring for the
    negation rule), an empty report for an explicit negative ("no", "none",
    "I feel fine", "no fever, no cough"), or None when the text is not
    understood as an answer about symptoms ("", "banana", "what?", "yes",
    "maybe", non-English text). Never raises for any str.
    """
    if not isinstance(text, str):
        return None
    norm = _normalize(text)
    if not re.search(r"[a-z]", norm) or _NOT_AN_ANSWER.search(norm):
        return None
    matches = [match for match in find_phrases(norm, _PATTERNS) if match.code != _IGNORE]
    flags = negated_before(norm, matches, _NEGATOR)
    named = {match.code for match, negated in zip(matches, flags) if not negated}
    return symptoms.decide(named, matched=bool(matches), uncertain=_UNCERTAIN.search(norm) is not None,
                           negative=_NEGATIVE_ANSWER.search(norm) is not None)
