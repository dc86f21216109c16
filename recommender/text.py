"""Small text helpers shared by linking and grounding: normalisation and tokenisation."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "tokens", "STOPWORDS"]

STOPWORDS = frozenset(
    """a an the and or of in on at to for from with by as is it its be are was were this that
    these those i me my we our you your he she her him his they them their what which who whom
    up down out over under again then once here there when where why how all any both each few
    more most other some such no nor not only own same so than too very can will just do does
    did has have had into about after before above below off further s t don't vs""".split()
)

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: ``"Amélie!"`` → ``"amelie"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = ascii_text.replace("&", " and ").replace("'", "")
    return _NON_WORD.sub(" ", ascii_text.lower()).strip()


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``."""
    return normalize(text).split()
