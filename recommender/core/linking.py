"""Linking: find the catalog items a person's words name, and say which words named nothing.

Three passes, from strict to loose:

1. exact spans: the longest run of words equal to a title, an alternative title, or the part of
   a title before a colon, scanned left to right;
2. containment: a leftover phrase whose significant words all occur in one title
   (``"lord of the rings"``, a partial product name);
3. close spelling: a run of words within a small edit distance of a title (``"blade runer"``,
   ``"teh matrix"``), preferred over a shorter exact span inside it (``"Blade"``).

Where several items share a name the most popular wins, with a confidence below 1 that counts
how much the others compete; the others are kept as ``alternatives``, so a conversation can ask
"did you mean …?" when the confidence is low.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from recommender.catalog import Catalog, Item
from recommender.core.close_matches import CloseMatcher
from recommender.errors import InputError
from recommender.vocabulary import STOPWORDS, TITLE_FILLER, normalize

__all__ = ["Mention", "LinkResult", "TitleLinker", "check_message"]

_MAX_SPAN = 16
_SEPARATORS = re.compile(
    r"[,;|/!?]+|(?:^|\s+)(?:and|plus|also|then|or|but|as well as|&)(?:\s+|$)", re.IGNORECASE
)
_SEPARATOR_WORDS = frozenset({"and", "plus", "also", "then", "or", "but", "as"})
_LIST_MARKS = re.compile(r"[,;|/!?]+")
"""Punctuation that separates the items of a typed list (a word like "and" may be inside a
name: "Head and Shoulders shampoo")."""
_YEAR = re.compile(r"\b(?:18|19|20)\d\d\b")
_QUOTES = re.compile(r"[\n\"“”«»]+")
_MARKUP = re.compile(r"<[^<>]{0,200}>")
_EDGE_PUNCTUATION = " \t\"'“”‘’.,;:!?()[]{}<>*_`~"
_CLOSE_CUTOFF = 0.86
_SPELLED_CUTOFF = 0.88
_SPELLED_WORDS = 6
_ALTERNATIVES = 3
_HALF = 3  # the shortest half of a word typed as two joined title words
_QUALITY_POWER = 4  # an exact title outweighs a shared title prefix (quality 0.6) about 8 to 1
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8",
          "ix": "9", "x": "10"}


@dataclass(frozen=True)
class Mention:
    """A phrase from the input and the item it was linked to (``None``: no item)."""

    text: str
    item_id: str | None
    confidence: float = 0.0
    method: str = "none"
    alternatives: tuple[str, ...] = ()
    """Other items the phrase may name, most likely first (when it is ambiguous)."""

    def ambiguous(self, threshold: float) -> bool:
        """Linked, but below ``threshold`` with other candidates: worth asking about."""
        return self.item_id is not None and bool(self.alternatives) and \
            self.confidence < threshold


@dataclass(frozen=True)
class LinkResult:
    """Everything found in one message."""

    mentions: tuple[Mention, ...]

    @property
    def linked(self) -> tuple[Mention, ...]:
        return tuple(m for m in self.mentions if m.item_id is not None)

    @property
    def unmatched(self) -> tuple[str, ...]:
        return tuple(m.text for m in self.mentions if m.item_id is None)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Linked ids in input order, without repeats."""
        return tuple(dict.fromkeys(m.item_id for m in self.linked if m.item_id))


@dataclass(frozen=True)
class _Key:
    item_id: str
    quality: float  # 1.0 main title, lower for alternative names
    kind: str = "title"
    """What the name is: the ``title`` (with or without its article or year), an ``alias``
    (an alternative or foreign title), or a ``part`` of one (before or after a colon)."""


class TitleLinker:
    """Links free text to the items of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._keys: dict[str, list[_Key]] = defaultdict(list)
        self._postings: dict[str, set[str]] = defaultdict(set)
        for item in catalog.items:
            for name, quality, kind in _names(item):
                key = normalize(name)
                if key and all(k.item_id != item.item_id for k in self._keys[key]):
                    self._keys[key].append(_Key(item.item_id, quality, kind))
            for word in set(normalize(item.title).split()):
                if word not in STOPWORDS:
                    self._postings[word].add(item.item_id)
        self._key_list = list(self._keys)
        self._matcher: CloseMatcher | None = None  # built on first use
        self._keys_by_word: dict[str, set[str]] = defaultdict(set)
        for key in self._key_list:
            self._keys_by_word["^" + key[:3]].add(key)
            for word in key.split():
                if word not in STOPWORDS:
                    self._keys_by_word[word].add(key)

    # -- public ---------------------------------------------------------------------------

    def link_message(self, message: str) -> LinkResult:
        """Find every item named in a free-text message."""
        message = _MARKUP.sub(" ", message)
        whole = self._whole(message)
        if whole:
            return LinkResult((whole,))
        mentions: list[Mention] = []
        for line in _QUOTES.split(message):
            mentions.extend(self._link_line(line))
        return LinkResult(tuple(_drop_repeats(mentions)))

    def link_titles(self, titles: Sequence[str]) -> LinkResult:
        """Link each string as one title (the command line's form): one mention per input."""
        out = []
        for title in titles:
            found = self._whole(title) or self._loose(title)
            out.append(found or Mention(title.strip(_EDGE_PUNCTUATION), None))
        return LinkResult(tuple(out))

    # -- passes -----------------------------------------------------------------------------

    def _link_line(self, line: str) -> list[Mention]:
        words = line.split()
        listed = bool(_LIST_MARKS.search(line))
        found: list[Mention] = []
        leftover: list[str] = []
        start = 0  # where the leftover began
        i = 0
        while i < len(words):
            hit = self._longest_span(words, i)
            spelled = self._spelled_span(words, i, hit[1] if hit else i + 1)
            if spelled is not None:
                hit = spelled
            if hit is not None:
                hit = self._whole_piece(words, i, hit)
            if hit is not None and not self._year_fits(hit, words):
                hit = None
            if hit is None:
                if not leftover:
                    start = i
                leftover.append(words[i])
                i += 1
                continue
            found.extend(self._leftover(" ".join(leftover), _breaks_before(words, start),
                                        False, listed))
            leftover = []
            found.append(hit[0])
            i = hit[1]
        found.extend(self._leftover(" ".join(leftover), _breaks_before(words, start), True,
                                    listed))
        return found

    def _whole_piece(self, words: list[str], start: int,
                     hit: tuple[Mention, int]) -> tuple[Mention, int] | None:
        """A span that names an item only by a brand, a title's head before its colon or an
        alternative title ("Burt's Bees", "OPI") gives way to the whole list item it begins
        when that names something ("Burt's Bees Lip Balm" is one name); an alternative title
        inside a sentence counts only when it is the whole list item ("the word" in a
        sentence is not Ordet)."""
        mention, end = hit
        stop = _piece_end(words, start)
        if end >= stop or self._main_title(mention.text):
            return hit
        piece = " ".join(words[start:stop])
        key = _strip_filler(normalize(piece))
        whole = self._contained(piece, key) or self._covered(piece, key)
        if whole is not None:
            return whole, stop
        if mention.method == "exact" and len(normalize(mention.text).split()) < 3 and \
                self._alias_only(mention.text):
            return None
        return hit

    def _year_fits(self, hit: tuple[Mention, int], words: list[str]) -> bool:
        """A year written right after a title must be the linked item's ("Road (2006" is
        not The Road of 2009)."""
        mention, end = hit
        year = _YEAR.fullmatch(words[end].strip(_EDGE_PUNCTUATION)) if end < len(words) else None
        if year is None or mention.item_id is None:
            return True
        return self.catalog.get(mention.item_id).year in (None, int(year.group()))

    def _main_title(self, text: str) -> bool:
        return any(k.kind == "title" for k in self._keys.get(normalize(text), ()))

    def _alias_only(self, text: str) -> bool:
        """The phrase is only ever an alternative title, never a title or part of one."""
        keys = self._keys.get(normalize(text), ())
        return bool(keys) and all(k.kind == "alias" for k in keys)

    def _whole(self, text: str) -> Mention | None:
        key = normalize(text)
        stripped = _strip_filler(key)
        for candidate in dict.fromkeys([key, stripped]):
            if candidate != key and all(w in STOPWORDS for w in candidate.split()):
                continue  # "I loved it" does not name the film "It"
            if candidate in self._keys:
                item_id, confidence, others = self._best(self._keys[candidate])
                return Mention(text.strip(_EDGE_PUNCTUATION), item_id, confidence, "exact",
                               others)
        return None

    def _longest_span(self, words: list[str], start: int) -> tuple[Mention, int] | None:
        for end in range(min(len(words), start + _MAX_SPAN), start, -1):
            phrase = " ".join(words[start:end])
            key = normalize(phrase)
            if key not in self._keys:
                continue
            if all(w in STOPWORDS or w in TITLE_FILLER for w in key.split()):
                continue  # "it", "her", "up" only count when typed alone
            item_id, confidence, others = self._best(self._keys[key])
            return Mention(phrase.strip(_EDGE_PUNCTUATION), item_id, confidence, "exact",
                           others), end
        return None

    def _spelled_span(self, words: list[str], start: int, beyond: int
                      ) -> tuple[Mention, int] | None:
        """A run of at least two words from ``start``, reaching past ``beyond``, that is a close
        spelling of a name ("blade runer" over the exact "Blade")."""
        first = normalize(words[start])
        if not first or first in _SEPARATOR_WORDS:
            return None
        for end in range(min(len(words), start + _SPELLED_WORDS), max(beyond, start + 2) - 1,
                         -1):
            if _SEPARATORS.search(" ".join(words[start:end])[:-1]):
                continue  # never across a comma or an "and"
            last = normalize(words[end - 1])
            if not last or last in TITLE_FILLER or last in STOPWORDS:
                continue
            key = normalize(" ".join(words[start:end]))
            if key in self._keys:
                continue  # an exact name: the exact pass takes it
            pool = set().union(*(self._keys_by_word.get(w, set()) for w in key.split()
                                 if w not in STOPWORDS), self._keys_by_word.get("^" + key[:3],
                                                                                set()))
            close = [c for c in difflib.get_close_matches(key, list(pool), n=3,
                                                          cutoff=_SPELLED_CUTOFF)
                     if _years_agree(key, c)][:1]
            if close:
                ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
                item_id, confidence, others = self._best(self._keys[close[0]])
                phrase = " ".join(words[start:end]).strip(_EDGE_PUNCTUATION)
                return Mention(phrase, item_id, round(confidence * ratio, 2), "spelling",
                               others), end
        return None

    def _leftover(self, text: str, opens: bool = True, closes: bool = True,
                  listed: bool = False) -> list[Mention]:
        """Mentions in words no span took. A comma-separated piece is tried whole before it is
        cut at "and" or "or"; a common word that is a title ("Saw", "Heat", "Up") links only
        when it stands alone as an item of a list (``opens``: the text begins after a list
        mark or at the line's start; ``closes``: it ends the line)."""
        out = []
        pieces = _LIST_MARKS.split(text)
        for n, piece in enumerate(pieces):
            whole = self._piece_as_name(piece)
            if whole is not None:
                out.append(whole)
                continue
            parts = _SEPARATORS.split(piece)
            for m, part in enumerate(parts):
                if not part or not part.strip(_EDGE_PUNCTUATION):
                    continue
                alone = listed and (n > 0 or m > 0 or opens) and \
                    (n < len(pieces) - 1 or m < len(parts) - 1 or closes)
                if not _strip_filler(normalize(part)):
                    found = self._whole(part) if alone else None  # "Saw" as a list item
                    if found is not None:
                        out.append(found)
                    continue
                found = self._whole(part) or self._loose(part)
                out.append(found or Mention(part.strip(_EDGE_PUNCTUATION), None))
        return out

    def _piece_as_name(self, piece: str) -> Mention | None:
        """A list item with a separator word inside that one title contains whole."""
        key = _strip_filler(normalize(piece))
        if not key or not _SEPARATORS.search(piece.strip()):
            return None
        return self._whole(piece) or self._contained(piece, key)

    def _loose(self, phrase: str) -> Mention | None:
        key = _strip_filler(normalize(phrase))
        if not key:
            return None
        return self._contained(phrase, key) or self._close(phrase, key)

    def _contained(self, phrase: str, key: str) -> Mention | None:
        significant = [w for w in key.split() if w not in STOPWORDS]
        if not significant:
            return None
        matches = self._holding(significant)
        for n in range(len(significant) - 1):
            if matches:
                break  # else two typed words may be one title word ("eye shadow": "Eyeshadow")
            joined = significant[n] + significant[n + 1]
            if joined in self._postings:
                matches = self._holding([*significant[:n], joined, *significant[n + 2:]])
        if len(significant) == 1:  # one ordinary word ("twice") names only a one-word title
            matches = {i for i in matches if len(self._significant(i)) == 1}
        if not matches:
            return None
        ranked = sorted(matches, key=lambda i: (-self._popularity(i),
                                                len(self.catalog.get(i).title), i))
        best = ranked[0]
        title_words = len(self._significant(best))
        confidence = min(1.0, len(significant) / max(title_words, 1)) * 0.9
        if len(ranked) > 1:  # compete on popularity, as shared names do
            total = sum(self._popularity(i) + 1 for i in ranked)
            confidence *= (self._popularity(best) + 1) / total
        return Mention(phrase.strip(_EDGE_PUNCTUATION), best, round(confidence, 2), "partial",
                       tuple(ranked[1 : 1 + _ALTERNATIVES]))

    def _holding(self, words: Sequence[str]) -> set[str]:
        """The items whose titles hold every word of ``words``."""
        return set.intersection(*(self._word_postings(w) for w in words)) if words else set()

    def _word_postings(self, word: str) -> set[str]:
        """The titles holding ``word``, and those holding both halves of it when it is two
        title words written as one ("eyeliner" is also "Eye ... Liner", "lipgloss" "Lip
        Gloss")."""
        found = self._postings.get(word, set())
        halves = [(word[:n], word[n:]) for n in range(_HALF, len(word) - _HALF + 1)]
        for head, tail in halves:
            if head in STOPWORDS or tail in STOPWORDS:
                continue
            both = self._postings.get(head, set()) & self._postings.get(tail, set())
            if both:
                found = found | both
        return found

    def _covered(self, phrase: str, key: str) -> Mention | None:
        """Products only: no title has every word of the phrase, but the brand's titles have
        most of them ("Burt's Bees Lip Balm" → a Burt's Bees lip product): the titles that
        share the first word and at least half the significant words, most shared first."""
        significant = [w for w in key.split() if w not in STOPWORDS]
        if self.catalog.kind != "products" or len(significant) < 3:
            return None
        brand = self._postings.get(significant[0], set())
        shared = {i: sum(i in self._postings.get(w, ()) for w in significant) for i in brand}
        enough = {i: n for i, n in shared.items() if n >= max(2, len(significant) / 2)}
        if not enough:
            return None
        ranked = sorted(enough, key=lambda i: (-enough[i], -self._popularity(i), i))
        best = ranked[0]
        confidence = 0.9 * enough[best] / len(significant)
        return Mention(phrase.strip(_EDGE_PUNCTUATION), best, round(confidence * 0.5, 2),
                       "partial", tuple(ranked[1 : 1 + _ALTERNATIVES]))

    def _close(self, phrase: str, key: str) -> Mention | None:
        if len(key) < 4:
            return None
        close = [c for c in self._close_matcher().get(key, n=3, cutoff=_CLOSE_CUTOFF)
                 if _years_agree(key, c)]
        if not close:
            return None
        ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
        item_id, confidence, others = self._best(self._keys[close[0]])
        return Mention(phrase.strip(_EDGE_PUNCTUATION), item_id, round(confidence * ratio, 2),
                       "spelling", others)

    # -- helpers ----------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Build the spelling pass's table now rather than in the first turn."""
        self._close_matcher()

    def _close_matcher(self) -> CloseMatcher:
        if self._matcher is None:
            self._matcher = CloseMatcher(self._key_list)
        return self._matcher

    def _best(self, keys: list[_Key]) -> tuple[str, float, tuple[str, ...]]:
        """The likeliest item of those sharing a name, its confidence (its share of the
        popularity, each weighted by how exact the name is for it), and the others."""
        def weight(key: _Key) -> float:
            return (self._popularity(key.item_id) + 1) * key.quality ** _QUALITY_POWER

        ranked = sorted(keys, key=lambda k: (weight(k), k.quality), reverse=True)
        top = ranked[0]
        if len(ranked) == 1:
            return top.item_id, round(top.quality, 2), ()
        share = weight(top) / sum(weight(k) for k in ranked)
        others = tuple(k.item_id for k in ranked[1 : 1 + _ALTERNATIVES])
        return top.item_id, round(top.quality * share, 2), others

    def _significant(self, item_id: str) -> list[str]:
        return [w for w in normalize(self.catalog.get(item_id).title).split()
                if w not in STOPWORDS]

    def _popularity(self, item_id: str) -> int:
        return self.catalog.get(item_id).popularity


def _names(item: Item) -> list[tuple[str, float, str]]:
    """(name, quality, kind) for every name of the item (see ``_Key``)."""
    names: list[tuple[str, float, str]] = [(item.title, 1.0, "title")]
    if item.year:
        names.append((f"{item.title} {item.year}", 1.0, "title"))
    names.extend((alias, 0.9, "alias") for alias in item.aliases)
    for name in [item.title, *item.aliases]:
        if ":" in name:
            head, tail = name.split(":", 1)
            names.append((head, 0.6, "part"))
            for part in tail.split(" - "):  # "Episode V - The Empire Strikes Back"
                if len(part.split()) >= 2:
                    names.append((part, 0.7, "part"))
    variants = []
    for name, quality, kind in names:
        words = name.split()
        if len(words) > 1 and words[0].lower() in {"the", "a", "an"}:
            variants.append((" ".join(words[1:]), quality * 0.95, kind))
        if any(w.lower().strip(":,") in _ROMAN for w in words[1:]):  # "Part II" → "Part 2"
            variants.append((" ".join(_ROMAN.get(w.lower().strip(":,"), w) for w in words),
                             quality, kind))
    return names + variants


def _years_agree(key: str, name: str) -> bool:
    """A phrase with a year matches only a name with that year, or with none ("Road 2006" is
    not "The Road 2009")."""
    typed, named = set(_YEAR.findall(key)), set(_YEAR.findall(name))
    return not typed or not named or bool(typed & named)


def _breaks_before(words: list[str], start: int) -> bool:
    """Whether position ``start`` begins a list item: the line's start, or after a list mark
    or a separator word."""
    if start == 0:
        return True
    before = words[start - 1]
    return bool(_LIST_MARKS.search(before[-1:])) or normalize(before) in _SEPARATOR_WORDS


def _piece_end(words: list[str], start: int) -> int:
    """Where the list item that begins at ``start`` ends: after the first word that ends
    with a list mark, or at the line's end."""
    for n in range(start, len(words)):
        if _LIST_MARKS.search(words[n][-1:]):
            return n + 1
    return len(words)


def _strip_filler(key: str) -> str:
    words = key.split()
    while words and (words[0] in TITLE_FILLER or words[0] in {"the", "a", "an", "and"}):
        if words[0] in {"the", "a", "an"} and len(words) > 1 and words[1] not in TITLE_FILLER:
            break
        words.pop(0)
    while words and words[-1] in TITLE_FILLER:
        words.pop()
    return " ".join(words)


def _drop_repeats(mentions: list[Mention]) -> list[Mention]:
    seen: set[str] = set()
    out = []
    for mention in mentions:
        marker = mention.item_id or ("?" + normalize(mention.text))
        if marker not in seen:
            seen.add(marker)
            out.append(mention)
    return out


def check_message(message: str | None, noun: str, limit: int) -> str:
    """The message, stripped; ``InputError`` when it is empty or longer than ``limit``."""
    text = (message or "").strip()
    if not text:
        raise InputError(
            f"Your message is empty. Type a few {noun}s you liked, separated by commas.")
    if len(text) > limit:
        raise InputError(
            f"Your message is {len(text):,} characters long; the limit is {limit:,}. "
            f"Send a shorter one that names a few {noun}s you liked.")
    return text
