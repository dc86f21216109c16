"""What the catalog says about an item, as explanations use it: short titles, fact lines, the
history item a pick shares most with (its anchor), and the plain explanation built from catalog
facts alone when the model's one cannot be used."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from recommender.catalog import Item
from recommender.vocabulary import PACKAGING_WORDS, STOPWORDS, normalize

__all__ = [
    "Anchor",
    "choose_anchor",
    "short_title",
    "facts_line",
    "history_line",
    "finish_sentence",
    "finished_reply",
    "template_explanation",
    "detailed_template",
    "shared_features",
    "shared_with",
]

_SHORT_TITLE_WORDS = 8
_TITLE_BREAKS = re.compile(r",| - | \(|;")


@dataclass(frozen=True)
class Anchor:
    """The history item an explanation compares with, and what the two share."""

    item: Item
    genres: tuple[str, ...]
    tags: tuple[str, ...]
    words: tuple[str, ...]  # shared significant title words (products)


def short_title(item: Item) -> str:
    """A title short enough to repeat in a sentence: long ones (mostly product names) are cut
    at their first comma, dash or bracket, or else after eight words."""
    words = item.title.split()
    if len(words) <= _SHORT_TITLE_WORDS:
        return item.title
    head = " ".join(words[:_SHORT_TITLE_WORDS])
    cut = _TITLE_BREAKS.search(head)
    if cut and len(head[: cut.start()].split()) >= 3:
        head = head[: cut.start()]
    kept = head.rstrip(",;:- ").split()
    # no dangling "for", and no half of a size such as "1.0" (from "1.0 oz")
    while len(kept) > 1 and (kept[-1].lower() in STOPWORDS or any(c.isdigit() for c in kept[-1])):
        kept.pop()
    return " ".join(kept)


def _title_words(item: Item) -> set[str]:
    """Words of the title worth naming as shared: not sizes or packaging, and one of a
    singular and its plural ("bar", not also "bars")."""
    words = {w for w in normalize(item.title).split()
             if w not in STOPWORDS and w not in PACKAGING_WORDS and not w.isdigit()
             and len(w) > 2}
    return {w for w in words if not (w.endswith("s") and w[:-1] in words)}


def shared_with(item: Item, other: Item) -> Anchor:
    """What ``item`` has in common with ``other`` according to the catalog."""
    return Anchor(
        item=other,
        genres=tuple(g for g in item.genres if g in other.genres),
        tags=tuple(t for t in item.tags if t in other.tags),
        words=tuple(w for w in dict.fromkeys(normalize(item.title).split())
                    if w in _title_words(item) & _title_words(other)),
    )


def choose_anchor(item: Item, history: Sequence[Item]) -> Anchor:
    """The history item sharing the most catalog facts with ``item`` (first on ties), other
    than one with the pick's own short title while there is another: "Like The Patriot, The
    Patriot is a war film" reads as a slip, whichever of the two films each name meant."""
    mine = short_title(item)
    options = [shared_with(item, h) for h in history]
    return max(options, key=lambda a: (short_title(a.item) != mine,
                                       2 * len(a.tags) + len(a.genres) + len(a.words)))


def history_line(item: Item) -> str:
    """One line describing a history item in a prompt (no year: a token per digit)."""
    facts = [", ".join(item.genres)] if item.genres else []
    if item.tags:
        facts.append("tags: " + ", ".join(item.tags[:3]))
    return f"- {short_title(item)}" + (f": {'; '.join(facts)}" if facts else "")


def facts_line(item: Item) -> str:
    """The facts an explanation may use, in few tokens:
    ``Aliens (1986): Action, Horror; tags aliens``.

    With the year: without it the tuned model wrote years from memory ("from 1994"), and the
    checker replaced them."""
    parts = []
    if item.genres:
        parts.append(", ".join(item.genres))
    if item.tags:
        parts.append("tags " + ", ".join(item.tags[:2]))
    year = f" ({item.year})" if item.year and str(item.year) not in item.title else ""
    return short_title(item) + year + (": " + "; ".join(parts) if parts else "")


def finished_reply(start: str, generated: str) -> tuple[str, str]:
    """The sentence our opening ``start`` and the model's ``generated`` words make ("" when the
    model wrote nothing), and the model's words in it: only those are claims to check."""
    text = finish_sentence(start + generated, opening=start) if generated.strip() else ""
    return text, text[len(start):] if text.startswith(start) else text


def finish_sentence(text: str, opening: str = "") -> str:
    """Tidy a generated sentence: trim, end with a full stop even when cut at the token limit
    (at its last comma past the middle and past ``opening``, the fixed start of ``text``: a
    line stopped before ", new to your list" is not cut inside "Simple Foaming Cleanser, 5
    Ounce")."""
    after = len(" ".join(opening.split()))
    text = " ".join(text.split())
    if not text:
        return text
    if text[-1] not in ".!?":
        cut = max(text.rfind(","), text.rfind(";"))
        if cut > max(len(text) // 2, after):
            text = text[:cut]
        text = text.rstrip(" ,;:-") + "."
    return text


def template_explanation(item: Item, anchor: Anchor) -> str:
    """An explanation from catalog facts only, used when the model's cannot be."""
    name = short_title(anchor.item)
    if anchor.genres or anchor.tags:
        pieces = []
        if anchor.genres:
            pieces.append("is " + _join(anchor.genres))
        if anchor.tags:
            pieces.append("is tagged " + _join([f"“{t}”" for t in anchor.tags]))
        return f"Like {name}, it {' and '.join(pieces)}."
    if anchor.words:
        quoted = [f"“{w}”" for w in anchor.words[:4]]
        return f"Like {name}, its title mentions {_join(quoted)}."
    if item.genres:
        year = f" from {item.year}" if item.year else ""
        return (f"A {_join(item.genres)} title{year}; its catalog description is close to "
                f"{name}.")
    return f"Its catalog description is close to {name}."


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def detailed_template(item: Item, anchor: Anchor, history: Sequence[Item]) -> str:
    """A longer explanation from catalog facts only ("why the third one?")."""
    sentences = [template_explanation(item, anchor)]
    facts = []
    if item.genres:
        facts.append(_join(item.genres))
    if item.year:
        facts.append(f"from {item.year}")
    if facts and (anchor.genres or anchor.tags or anchor.words):  # else the first said it
        sentences.append(f"{short_title(item)} is {' '.join(facts)}.")
    if item.tags:
        sentences.append("People tagged it " + _join([f"“{t}”" for t in item.tags[:3]]) + ".")
    sharing = [short_title(h) for h in history
               if h.item_id != anchor.item.item_id and set(h.genres) & set(item.genres)]
    if sharing:
        sentences.append(f"{len(sharing) + 1} of the titles you liked share a genre with it, "
                         f"{short_title(anchor.item)} and {_join(sharing[:3])} among them."
                         if anchor.genres else
                         f"Titles you liked that share a genre with it: {_join(sharing[:3])}.")
    return " ".join(sentences)


def shared_features(item: Item, history: Sequence[Item], most: int = 3) -> str:
    """What ``item`` shares with the history according to the catalog (``shared_with`` each
    history item), attribute by attribute, each with up to ``most`` history titles that have
    it: the ``features`` explanation of a user study. No model is involved, so every word of
    it is a catalog fact."""
    shared = [shared_with(item, h) for h in history]

    def having(kind: str, value: str) -> list[str]:
        return [short_title(a.item) for a in shared if value in getattr(a, kind)]

    parts = [f"{genre} (like {_join(having('genres', genre)[:most])})"
             for genre in item.genres if having("genres", genre)]
    parts += [f"tagged “{tag}” (like {_join(having('tags', tag)[:most])})"
              for tag in item.tags if having("tags", tag)]
    if not parts:  # products: no genres or tags, but their names share words
        words_by_titles: dict[tuple[str, ...], list[str]] = {}
        for word in dict.fromkeys(normalize(item.title).split()):
            titles = tuple(having("words", word)[:most])
            if titles:
                words_by_titles.setdefault(titles, []).append(f"“{word}”")
        parts = [f"{_join(words)} in its name (like {_join(titles)})"
                 for titles, words in words_by_titles.items()]
    if not parts:
        return "It shares no genre, tag or name word with the titles you named."
    return "Shares with what you liked: " + "; ".join(parts[:4]) + "."
