"""Linking: find the catalog items a person's words name, and say which words named nothing.

Three passes, from strict to loose:

1. exact spans: the longest run of words equal to a title, an alternative title, or the part of
   a title before a colon, scanned left to right;
2. containment: a leftover phrase whose significant words all occur in one title
   (``"lord of the rings"``, a partial product name);
3. close spelling: a run of words within a small edit distance of a title (``"blade runer"``,
   ``"teh matrix"``), preferred over a shorter exact span inside it (``"Blade"``).

The passes are here; ``spans`` cuts a message into pieces, ``names`` indexes the catalog's
names, ``spelling`` finds close spellings, ``mentions`` holds what is found.

Where several items share a name the most popular wins, with a confidence below 1 that counts
how much the others compete; the others are kept as ``alternatives``, so a conversation can ask
"did you mean …?" when the confidence is low.
"""

from __future__ import annotations

from collections.abc import Sequence

from recommender.catalog import Catalog
from recommender.core.linking.mentions import LinkResult, Mention
from recommender.core.linking.names import ALTERNATIVES, NameIndex
from recommender.core.linking.spans import (
    EDGE_PUNCTUATION,
    LIST_MARKS,
    MARKUP,
    MAX_SPAN,
    QUOTES,
    SEPARATORS,
    breaks_before,
    drop_repeats,
    piece_end,
    strip_filler,
)
from recommender.core.linking.spelling import YEAR_RE, Spelling
from recommender.vocabulary import STOPWORDS, TITLE_FILLER, normalize

__all__ = ["TitleLinker"]


class TitleLinker:
    """Links free text to the items of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.names = NameIndex(catalog)
        self.spelling = Spelling(self.names)

    def warm_up(self) -> None:
        """Build the spelling pass's table now rather than in the first turn."""
        self.spelling.warm_up()

    # -- public ---------------------------------------------------------------------------

    def link_message(self, message: str) -> LinkResult:
        """Find every item named in a free-text message."""
        message = MARKUP.sub(" ", message)
        whole = self._whole(message)
        if whole:
            return LinkResult((whole,))
        mentions: list[Mention] = []
        for line in QUOTES.split(message):
            mentions.extend(self._link_line(line))
        return LinkResult(tuple(drop_repeats(mentions)))

    def link_titles(self, titles: Sequence[str]) -> LinkResult:
        """Link each string as one title (the command line's form): one mention per input."""
        out = []
        for title in titles:
            found = self._whole(title) or self._loose(title)
            out.append(found or Mention(title.strip(EDGE_PUNCTUATION), None))
        return LinkResult(tuple(out))

    # -- passes -----------------------------------------------------------------------------

    def _link_line(self, line: str) -> list[Mention]:
        words = line.split()
        listed = bool(LIST_MARKS.search(line))
        found: list[Mention] = []
        leftover: list[str] = []
        start = 0  # where the leftover began
        i = 0
        while i < len(words):
            hit = self._longest_span(words, i)
            spelled = self.spelling.span(words, i, hit[1] if hit else i + 1)
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
            found.extend(self._leftover(" ".join(leftover), breaks_before(words, start),
                                        False, listed))
            leftover = []
            found.append(hit[0])
            i = hit[1]
        found.extend(self._leftover(" ".join(leftover), breaks_before(words, start), True,
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
        stop = piece_end(words, start)
        if end >= stop or self._main_title(mention.text):
            return hit
        piece = " ".join(words[start:stop])
        key = strip_filler(normalize(piece))
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
        year = YEAR_RE.fullmatch(words[end].strip(EDGE_PUNCTUATION)) if end < len(words) else None
        if year is None or mention.item_id is None:
            return True
        return self.catalog.get(mention.item_id).year in (None, int(year.group()))

    def _main_title(self, text: str) -> bool:
        return any(k.kind == "title" for k in self.names.keys.get(normalize(text), ()))

    def _alias_only(self, text: str) -> bool:
        """The phrase is only ever an alternative title, never a title or part of one."""
        keys = self.names.keys.get(normalize(text), ())
        return bool(keys) and all(k.kind == "alias" for k in keys)

    def _whole(self, text: str) -> Mention | None:
        key = normalize(text)
        stripped = strip_filler(key)
        for candidate in dict.fromkeys([key, stripped]):
            if candidate != key and all(w in STOPWORDS for w in candidate.split()):
                continue  # "I loved it" does not name the film "It"
            if candidate in self.names.keys:
                item_id, confidence, others = self.names.best(self.names.keys[candidate])
                return Mention(text.strip(EDGE_PUNCTUATION), item_id, confidence, "exact",
                               others)
        return None

    def _longest_span(self, words: list[str], start: int) -> tuple[Mention, int] | None:
        for end in range(min(len(words), start + MAX_SPAN), start, -1):
            phrase = " ".join(words[start:end])
            key = normalize(phrase)
            if key not in self.names.keys:
                continue
            if all(w in STOPWORDS or w in TITLE_FILLER for w in key.split()):
                continue  # "it", "her", "up" only count when typed alone
            item_id, confidence, others = self.names.best(self.names.keys[key])
            return Mention(phrase.strip(EDGE_PUNCTUATION), item_id, confidence, "exact",
                           others), end
        return None

    def _leftover(self, text: str, opens: bool = True, closes: bool = True,
                  listed: bool = False) -> list[Mention]:
        """Mentions in words no span took. A comma-separated piece is tried whole before it is
        cut at "and" or "or"; a common word that is a title ("Saw", "Heat", "Up") links only
        when it stands alone as an item of a list (``opens``: the text begins after a list
        mark or at the line's start; ``closes``: it ends the line)."""
        out = []
        pieces = LIST_MARKS.split(text)
        for n, piece in enumerate(pieces):
            whole = self._piece_as_name(piece)
            if whole is not None:
                out.append(whole)
                continue
            parts = SEPARATORS.split(piece)
            for m, part in enumerate(parts):
                if not part or not part.strip(EDGE_PUNCTUATION):
                    continue
                alone = listed and (n > 0 or m > 0 or opens) and \
                    (n < len(pieces) - 1 or m < len(parts) - 1 or closes)
                if not strip_filler(normalize(part)):
                    found = self._whole(part) if alone else None  # "Saw" as a list item
                    if found is not None:
                        out.append(found)
                    continue
                found = self._whole(part) or self._loose(part)
                out.append(found or Mention(part.strip(EDGE_PUNCTUATION), None))
        return out

    def _piece_as_name(self, piece: str) -> Mention | None:
        """A list item with a separator word inside that one title contains whole."""
        key = strip_filler(normalize(piece))
        if not key or not SEPARATORS.search(piece.strip()):
            return None
        return self._whole(piece) or self._contained(piece, key)

    def _loose(self, phrase: str) -> Mention | None:
        key = strip_filler(normalize(phrase))
        if not key:
            return None
        return self._contained(phrase, key) or self.spelling.close(phrase, key)

    def _contained(self, phrase: str, key: str) -> Mention | None:
        significant = [w for w in key.split() if w not in STOPWORDS]
        if not significant:
            return None
        matches = self.names.holding(significant)
        for n in range(len(significant) - 1):
            if matches:
                break  # else two typed words may be one title word ("eye shadow": "Eyeshadow")
            joined = significant[n] + significant[n + 1]
            if joined in self.names.postings:
                matches = self.names.holding([*significant[:n], joined, *significant[n + 2:]])
        if len(significant) == 1:  # one ordinary word ("twice") names only a one-word title
            matches = {i for i in matches if len(self.names.significant(i)) == 1}
        if not matches:
            return None
        ranked = sorted(matches, key=lambda i: (-self.names.popularity(i),
                                                len(self.catalog.get(i).title), i))
        best = ranked[0]
        title_words = len(self.names.significant(best))
        confidence = min(1.0, len(significant) / max(title_words, 1)) * 0.9
        if len(ranked) > 1:  # compete on popularity, as shared names do
            total = sum(self.names.popularity(i) + 1 for i in ranked)
            confidence *= (self.names.popularity(best) + 1) / total
        return Mention(phrase.strip(EDGE_PUNCTUATION), best, round(confidence, 2), "partial",
                       tuple(ranked[1 : 1 + ALTERNATIVES]))

    def _covered(self, phrase: str, key: str) -> Mention | None:
        """Products only: no title has every word of the phrase, but the brand's titles have
        most of them ("Burt's Bees Lip Balm" → a Burt's Bees lip product): the titles that
        share the first word and at least half the significant words, most shared first."""
        significant = [w for w in key.split() if w not in STOPWORDS]
        if self.catalog.kind != "products" or len(significant) < 3:
            return None
        brand = self.names.postings.get(significant[0], set())
        shared = {i: sum(i in self.names.postings.get(w, ()) for w in significant) for i in brand}
        enough = {i: n for i, n in shared.items() if n >= max(2, len(significant) / 2)}
        if not enough:
            return None
        ranked = sorted(enough, key=lambda i: (-enough[i], -self.names.popularity(i), i))
        best = ranked[0]
        confidence = 0.9 * enough[best] / len(significant)
        return Mention(phrase.strip(EDGE_PUNCTUATION), best, round(confidence * 0.5, 2),
                       "partial", tuple(ranked[1 : 1 + ALTERNATIVES]))
