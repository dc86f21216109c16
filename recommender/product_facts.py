"""What a beauty product's title says about it, as facts (``fact_kinds``): its brand, product
line, product type and attribute words, with sizes and packaging set apart; and a readable
short name (brand and product, never cut inside a phrase).

Brands come from Amazon's names for this catalog (P5's ``datamaps_P5.json.gz``, whose
``attribute2id`` holds the category and brand names of the Beauty 5-core): a name counts as a
brand when titles start with it at least as often as they hold it elsewhere ("Revlon ...", but
not "Nail Polish"), or when a title names it after "by" ("Pure Poison By Christian Dior For
Women"). A line is the one or two words after the brand that at least two of its titles share
("Revlon ColorStay ...")."""

from __future__ import annotations

import gzip
import html
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from recommender.vocabulary.fact_kinds import ATTRIBUTE_WORDS, Fact, FactKind
from recommender.vocabulary import PACKAGING_WORDS, PRODUCT_TYPES, STOPWORDS, normalize, \
    product_types

__all__ = ["ProductFactReader", "read_attribute_names", "SIZE_PATTERN"]

SIZE_PATTERN = re.compile(
    r"(?:\bpack of \d+\b|\b\d+(?:[.,]\d+)?\s*-?\s*(?:fl\.?\s*)?(?:oz|ounces?|ml|g|grams?|lbs?|"
    r"mg|count|ct|pack|pcs|pieces?|pairs?|inch(?:es)?|mm|sheets?|capsules|tablets)\b\.?)",
    re.IGNORECASE)
"""A size, count or pack in a title: "1.7 Oz", "25.4 Fl Oz", "Pack of 2", "10 Pair"."""

_TYPE_WORDS = frozenset(w for phrases in PRODUCT_TYPES.values() for p in phrases
                        for w in normalize(p).split())
_ATTRIBUTE_KEYS = {normalize(p): p for group in ATTRIBUTE_WORDS.values() for p in group}
_ATTRIBUTE_PATTERN = re.compile(r"\b(?:" + "|".join(
    re.escape(k) for k in sorted(_ATTRIBUTE_KEYS, key=len, reverse=True)) + r")\b")
_NOT_LINE = _TYPE_WORDS | PACKAGING_WORDS | STOPWORDS | frozenset(_ATTRIBUTE_KEYS) | frozenset(
    """women men womens mens unisex new professional pro set kit collection edition spray eau
    de toilette parfum face body hair nail lip lips eye eyes skin travel mini gift piece""".split())
_BREAKS = re.compile(r",| - | – |\(|;|\|")
_READABLE_WORDS = 7
_TYPE_PHRASES = sorted({tuple(normalize(p).split()) for phrases in PRODUCT_TYPES.values()
                        for p in phrases}, key=lambda phrase: (-len(phrase), phrase))
"""Every product-type phrase as words, longest first (then alphabetical, so that the order does
not depend on the process's string hashing)."""


@dataclass(frozen=True)
class _Brand:
    key: str
    name: str


class ProductFactReader:
    """Reads facts from the titles of one catalog (brands and lines are the catalog's own)."""

    def __init__(self, titles: Sequence[str], attribute_names: Iterable[str]) -> None:
        names = {normalize(n): n for n in (html.unescape(a).strip() for a in attribute_names)
                 if normalize(n)}
        padded = [f" {normalize(t)} " for t in titles]
        starts, anywhere, after_by = Counter(), Counter(), Counter()
        for text in padded:
            for key in _candidates(text, names):
                anywhere[key] += 1
                starts[key] += text.startswith(f" {key} ")
                after_by[key] += f" by {key} " in text
        self._brands = {k: names[k] for k in anywhere
                        if (starts[k] and starts[k] * 2 >= anywhere[k]) or after_by[k]}
        self._brands = {k: n for k, n in self._brands.items()
                        if k not in _TYPE_WORDS and len(k) >= 2}
        self._longest_brand_words = max((len(k.split()) for k in self._brands), default=1)
        lines: Counter[tuple[str, str]] = Counter()
        for title in titles:
            brand = self._brand(title)
            if brand is not None:
                line = _line_after(title, brand)
                if line:
                    lines[(brand.key, normalize(line))] += 1
        self._lines = {pair for pair, n in lines.items() if n >= 2}

    @property
    def brands(self) -> Mapping[str, str]:
        """Normalised brand → the brand as Amazon writes it."""
        return self._brands

    def facts(self, title: str) -> tuple[Fact, ...]:
        """The facts ``title`` states: brand, line, types, attributes, sizes."""
        out: list[Fact] = []
        brand = self._brand(title)
        if brand is not None:
            out.append(Fact(FactKind.BRAND, brand.name))
            line = _line_after(title, brand)
            if line and (brand.key, normalize(line)) in self._lines:
                out.append(Fact(FactKind.LINE, line))
        out += [Fact(FactKind.TYPE, kind) for kind in sorted(product_types(title))]
        text = normalize(SIZE_PATTERN.sub(" ", _FREE_OF.sub(" ", title)))
        for match in _ATTRIBUTE_PATTERN.finditer(text):
            out.append(Fact(FactKind.ATTRIBUTE, _ATTRIBUTE_KEYS[match.group(0)]))
        out += [Fact(FactKind.SIZE, " ".join(m.group(0).split()).rstrip("."))
                for m in SIZE_PATTERN.finditer(title)]
        return tuple(dict.fromkeys(out))

    def readable_name(self, title: str) -> str:
        """Brand and product, short enough to repeat in a sentence and never cut inside a
        phrase. The title up to its first comma, dash or bracket, before "with" or "for", with
        no sizes ("Mizani Kerafuse Intense Strengthening Treatment"); a perfume's name and
        house ("Pure Poison by Christian Dior"). When still longer than seven words: up to the
        end of its first product-type phrase ("L'Oreal Paris Infallible 24 HR Eye Shadow"), or
        the brand and that phrase ("Babyliss Pro Curling Iron"), or the brand and the last
        words, which name the thing in English ("Sally Hansen Lip Definer")."""
        head = _BREAKS.split(title, maxsplit=1)[0]
        by = re.search(r"\s+by\s+", head, re.IGNORECASE)
        brand = self._brand(title)
        if by and brand and normalize(head[by.end():]).startswith(brand.key) and by.start() > 0:
            name = " ".join(head[:by.start()].split()[:_READABLE_WORDS])
            return f"{name} by {brand.name}"
        head = re.split(r"\s+(?:with|for|w/)\s+", head, maxsplit=1, flags=re.IGNORECASE)[0]
        words = _trimmed(SIZE_PATTERN.sub(" ", head).split())
        while len(words) > 1 and normalize(words[0]) in STOPWORDS:  # "(10 Pairs) of ..."
            words = words[1:]
        if len(words) <= _READABLE_WORDS:
            return " ".join(words) or title
        keys = [_singular(normalize(w)) for w in words]
        lead = len(brand.key.split()) if brand and \
            normalize(" ".join(words)).startswith(brand.key) else 0
        found = _first_type_phrase(keys, lead)
        if found is not None:
            start, end = found
            if end <= _READABLE_WORDS:
                return " ".join(_trimmed(words[:end]))
            if lead:
                return " ".join(words[:lead] + words[start:end])
            if end <= _READABLE_WORDS + 3:  # no brand: long rather than cut inside a phrase
                return " ".join(_trimmed(words[:end]))
        if lead:
            tail = words[-2:] if not any(c.isdigit() for c in words[-2]) else words[-1:]
            return " ".join(words[:lead] + tail)
        return " ".join(_trimmed(words[:_READABLE_WORDS - 1]))

    def _brand(self, title: str) -> _Brand | None:
        text = f" {normalize(title)} "
        words = text.split()
        for n in range(min(self._longest_brand_words, len(words)), 0, -1):
            key = " ".join(words[:n])
            if key in self._brands:
                return _Brand(key, self._brands[key])
        by = re.search(r" by ((?:\S+ ){1,4})", text)
        if by:
            after = by.group(1).split()
            for n in range(len(after), 0, -1):
                key = " ".join(after[:n])
                if key in self._brands:
                    return _Brand(key, self._brands[key])
        return None


_FREE_OF = re.compile(r"\b[A-Za-z]+[- ]free\b", re.IGNORECASE)


def _candidates(text: str, names: Mapping[str, str]) -> list[str]:
    words = text.split()
    found = []
    for i in range(len(words)):
        for n in (1, 2, 3, 4):
            key = " ".join(words[i:i + n])
            if len(key.split()) == n and key in names:
                found.append(key)
    return found


def _line_after(title: str, brand: _Brand) -> str | None:
    """The one or two words after the brand at the start of ``title`` that are no type,
    attribute, size or packaging word (the words before "by" in "X By Brand For Women")."""
    tokens = [t for t in re.split(r"[\s,;:()/]+", title) if t]
    keys = [normalize(t) for t in tokens]
    brand_words = brand.key.split()
    joined = " ".join(k for k in keys if k)
    if joined.startswith(brand.key + " ") or joined == brand.key:
        start, taken = 0, 0
        while start < len(keys) and taken < len(brand_words):
            taken += len(keys[start].split()) if keys[start] else 0
            start += 1
        rest = tokens[start:]
    else:
        by = next((i for i, k in enumerate(keys) if k == "by"), None)
        if by is None or by == 0:
            return None
        rest = tokens[:by]
    line = []
    for token in rest[:2]:
        key = normalize(token)
        if not key or not key.replace(" ", "").isalpha() or key in _NOT_LINE or len(key) < 2:
            break
        line.append(token.strip(".!*\"'"))
    return " ".join(line) or None


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


_TYPE_PHRASES_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _phrase in _TYPE_PHRASES:  # each phrase's words made singular, as the title's keys are
    _singular_phrase = tuple(_singular(w) for w in _phrase)
    _TYPE_PHRASES_BY_FIRST.setdefault(_singular_phrase[0], []).append(_singular_phrase)


def _first_type_phrase(keys: Sequence[str], after: int) -> tuple[int, int] | None:
    """Where the first product-type phrase starts and ends among the words ``keys`` (from
    ``after`` on), the longest at a place."""
    for start in range(max(after, 1), len(keys)):
        for phrase in _TYPE_PHRASES_BY_FIRST.get(keys[start], ()):
            if tuple(keys[start:start + len(phrase)]) == phrase:
                return start, start + len(phrase)
    return None


def _trimmed(words: Sequence[str]) -> list[str]:
    """``words`` without trailing numbers, packaging words, stop words or punctuation."""
    kept = [w for w in words if w.strip(" .-&/+")]
    while len(kept) > 1 and (normalize(kept[-1]) in STOPWORDS or not normalize(kept[-1])
                             or normalize(kept[-1]) in PACKAGING_WORDS
                             or any(c.isdigit() for c in kept[-1])):
        kept.pop()
    if kept:
        kept[-1] = kept[-1].rstrip(" ,;:-&/+.")
    return kept


def read_attribute_names(path: Path) -> list[str]:
    """Amazon's category and brand names of the Beauty catalog (``attribute2id``), or none
    when the file is not there (brands are then not read)."""
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return list(json.load(handle).get("attribute2id", {}))
