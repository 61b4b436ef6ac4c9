"""The NLU tokenizer: Rasa's whitespace words, with every Chinese character a word of its own.

Written Chinese has no spaces, so to the whitespace tokenizer "我需要帮助" is one word the
model has never seen. Split into characters, it shares 需, 要, 帮 and 助 with the examples it
was trained on; the word featurizer's bigrams (config.yml) then see 需要 and 帮助 too. This
beat jieba's dictionary segmentation on the held-out Mandarin examples, costs nothing to load,
and leaves every English token exactly as the whitespace tokenizer makes it (README, Languages).
"""
from __future__ import annotations

import re
from typing import Optional

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One Han character, or a run of anything else (Latin words, digits such as 37.1, punctuation).
PIECES = re.compile(f"[{_HAN}]|[^{_HAN}]+")
HAN = re.compile(f"[{_HAN}]")
WORDLIKE = re.compile(r"\w")


def split_han(word: str) -> list[tuple[str, int]]:
    """The pieces of one whitespace word and where each starts in it: Han characters one by one,
    and the runs between them unless they are bare punctuation (the whitespace tokenizer strips
    ASCII punctuation but leaves Chinese punctuation such as ，and 。 inside a word)."""
    pieces = [(match.group(), match.start()) for match in PIECES.finditer(word)]
    if len(pieces) < 2:
        return [(word, 0)]  # nothing to split off: the word as the whitespace tokenizer made it
    return [(piece, start) for piece, start in pieces if WORDLIKE.search(piece)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class HanCharacterTokenizer(WhitespaceTokenizer):
    """Whitespace tokens; inside them, each Han character is its own token."""

    @staticmethod
    def not_supported_languages() -> Optional[list[str]]:
        return None  # the whitespace tokenizer refuses zh; this one is meant for it

    def remove_emoji(self, text: str) -> str:
        # Rasa's emoji pattern spans U+24C2 to U+1F251, every Han character included: a Chinese
        # word would be dropped (or a whole sentence kept as one unseen token).
        return text if HAN.search(text) else super().remove_emoji(text)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        return [Token(piece, word.start + offset)
                for word in super().tokenize(message, attribute)
                for piece, offset in split_han(word.text)]
