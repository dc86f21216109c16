"""Normalising text and the small words around what matters: stop words, and the filler words
around titles and requests."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["normalize", "names_any", "folded", "tokens", "STOPWORDS", "TITLE_FILLER",
           "REQUEST_FILLER"]

STOPWORDS = frozenset(
    """a an the and or of in on at to for from with by as is it its be are was were this that
    these those i me my we our you your he she her him his they them their what which who whom
    up down out over under again then once here there when where why how all any both each few
    more most other some such no nor not only own same so than too very can will just do does
    did has have had into about after before above below off further s t don't vs""".split()
)

_NON_WORD = re.compile(r"[^0-9a-z]+")
_NON_WORD_CHAR = re.compile(r"[^0-9a-z]")


def _plain_lower(text: str) -> str:
    if not text.isascii():  # ASCII is its own decomposition, with no accents to drop
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return text.replace("&", " and ").replace("'", "").lower()


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: ``"Amélie!"`` → ``"amelie"``."""
    return _NON_WORD.sub(" ", _plain_lower(text)).strip()


def names_any(text: str, names: Iterable[str]) -> bool:
    """Does ``text`` name any of ``names`` (normalised phrases) as whole words?"""
    padded = f" {normalize(text)} "
    return any(f" {name} " in padded for name in names)


def folded(text: str) -> str:
    """``text`` as ``normalize`` reads it, with every break kept as one space per character
    (for reading a reply token by token): ``" L'Oréal,"`` → ``" loreal "``."""
    return _NON_WORD_CHAR.sub(" ", _plain_lower(text))


def tokens(text: str) -> list[str]:
    """Normalised words of ``text``."""
    return normalize(text).split()


TITLE_FILLER = frozenset(
    """i im ive really truly loved love liked like likes enjoyed enjoy adored adore watched watch
    saw seen bought buy purchased used use using tried try rewatched recently lately also plus
    movie movies film films show shows product products stuff things thing lot much very great
    good favourite favorite favourites favorites especially mostly yesterday week weekend year
    recommend something anything similar please thanks thank hi hello hey want need would
    could some give me more any""".split()
)
"""Words around a title that are not part of it ("I really loved Heat"): linking strips them
from a phrase's ends and never links a phrase made only of them (with ``STOPWORDS``)."""

REQUEST_FILLER = frozenset("""something some more less please only just now and but also a an
the movies movie films film ones one stuff i want would like id i'd love to see show me give
with no in of from that is are it any again ok okay thanks thank you what about maybe instead
let's lets products product items item rather kind kinds sort this time this those these them
then well yes yeah so really very good great nice new recent older old into for my all get can
could we nothing don't dont didn't didnt do not liked loved enjoyed adored""".split())
"""Words that carry no request: a clause made only of them (once filters and references are
taken out) names no title. Wider than ``TITLE_FILLER``: "new", "old", "no" are filler in a
request but may begin a title."""
