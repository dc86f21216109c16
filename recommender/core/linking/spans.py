"""How a message falls into pieces before its words are matched to names: lines, list items
(commas, "and"), the filler words around a title, and repeats of one mention."""

from __future__ import annotations

import re

from recommender.core.linking.mentions import Mention
from recommender.vocabulary import TITLE_FILLER, normalize

__all__ = ["MAX_SPAN", "SEPARATORS", "SEPARATOR_WORDS", "LIST_MARKS", "QUOTES", "MARKUP",
           "EDGE_PUNCTUATION", "breaks_before", "piece_end", "strip_filler", "drop_repeats"]

MAX_SPAN = 16
"""The most words a name may span."""
SEPARATORS = re.compile(
    r"[,;|/!?]+|(?:^|\s+)(?:and|plus|also|then|or|but|as well as|&)(?:\s+|$)", re.IGNORECASE
)
SEPARATOR_WORDS = frozenset({"and", "plus", "also", "then", "or", "but", "as"})
LIST_MARKS = re.compile(r"[,;|/!?]+")
"""Punctuation that separates the items of a typed list (a word like "and" may be inside a
name: "Head and Shoulders shampoo")."""
QUOTES = re.compile(r"[\n\"“”«»]+")
MARKUP = re.compile(r"<[^<>]{0,200}>")
EDGE_PUNCTUATION = " \t\"'“”‘’.,;:!?()[]{}<>*_`~"


def breaks_before(words: list[str], start: int) -> bool:
    """Whether position ``start`` begins a list item: the line's start, or after a list mark
    or a separator word."""
    if start == 0:
        return True
    before = words[start - 1]
    return bool(LIST_MARKS.search(before[-1:])) or normalize(before) in SEPARATOR_WORDS


def piece_end(words: list[str], start: int) -> int:
    """Where the list item that begins at ``start`` ends: after the first word that ends
    with a list mark, or at the line's end."""
    for n in range(start, len(words)):
        if LIST_MARKS.search(words[n][-1:]):
            return n + 1
    return len(words)


def strip_filler(key: str) -> str:
    words = key.split()
    while words and (words[0] in TITLE_FILLER or words[0] in {"the", "a", "an", "and"}):
        if words[0] in {"the", "a", "an"} and len(words) > 1 and words[1] not in TITLE_FILLER:
            break
        words.pop(0)
    while words and words[-1] in TITLE_FILLER:
        words.pop()
    return " ".join(words)


def drop_repeats(mentions: list[Mention]) -> list[Mention]:
    seen: set[str] = set()
    out = []
    for mention in mentions:
        marker = mention.item_id or ("?" + normalize(mention.text))
        if marker not in seen:
            seen.add(marker)
            out.append(mention)
    return out
