"""The spelling pass of linking: a run of words within a small edit distance of a name
(``"blade runer"``, ``"teh matrix"``), preferred over a shorter exact span inside it."""

from __future__ import annotations

import difflib
import re

from recommender.core.close_matches import CloseMatcher
from recommender.core.linking.mentions import Mention
from recommender.core.linking.names import NameIndex
from recommender.core.linking.spans import EDGE_PUNCTUATION, SEPARATOR_WORDS, SEPARATORS
from recommender.vocabulary import STOPWORDS, TITLE_FILLER, YEAR, normalize

__all__ = ["Spelling", "years_agree", "YEAR_RE"]

CLOSE_CUTOFF = 0.86
SPELLED_CUTOFF = 0.88
SPELLED_WORDS = 6
YEAR_RE = re.compile(rf"\b{YEAR}\b")


class Spelling:
    """Close spellings of the names in ``index``; its table of names is built on first use
    (``warm_up``)."""

    def __init__(self, index: NameIndex) -> None:
        self.index = index
        self._matcher: CloseMatcher | None = None

    def warm_up(self) -> None:
        """Build the spelling table now rather than in the first turn."""
        self._close_matcher()

    def span(self, words: list[str], start: int, beyond: int
                      ) -> tuple[Mention, int] | None:
        """A run of at least two words from ``start``, reaching past ``beyond``, that is a close
        spelling of a name ("blade runer" over the exact "Blade")."""
        first = normalize(words[start])
        if not first or first in SEPARATOR_WORDS:
            return None
        for end in range(min(len(words), start + SPELLED_WORDS), max(beyond, start + 2) - 1,
                         -1):
            if SEPARATORS.search(" ".join(words[start:end])[:-1]):
                continue  # never across a comma or an "and"
            last = normalize(words[end - 1])
            if not last or last in TITLE_FILLER or last in STOPWORDS:
                continue
            key = normalize(" ".join(words[start:end]))
            if key in self.index.keys:
                continue  # an exact name: the exact pass takes it
            pool = set().union(*(self.index.keys_by_word.get(w, set()) for w in key.split()
                                 if w not in STOPWORDS), self.index.keys_by_word.get("^" + key[:3],
                                                                                set()))
            close = [c for c in difflib.get_close_matches(key, list(pool), n=3,
                                                          cutoff=SPELLED_CUTOFF)
                     if years_agree(key, c)][:1]
            if close:
                ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
                item_id, confidence, others = self.index.best(self.index.keys[close[0]])
                phrase = " ".join(words[start:end]).strip(EDGE_PUNCTUATION)
                return Mention(phrase, item_id, round(confidence * ratio, 2), "spelling",
                               others), end
        return None

    def close(self, phrase: str, key: str) -> Mention | None:
        if len(key) < 4:
            return None
        close = [c for c in self._close_matcher().get(key, n=3, cutoff=CLOSE_CUTOFF)
                 if years_agree(key, c)]
        if not close:
            return None
        ratio = difflib.SequenceMatcher(None, key, close[0]).ratio()
        item_id, confidence, others = self.index.best(self.index.keys[close[0]])
        return Mention(phrase.strip(EDGE_PUNCTUATION), item_id, round(confidence * ratio, 2),
                       "spelling", others)

    def _close_matcher(self) -> CloseMatcher:
        if self._matcher is None:
            self._matcher = CloseMatcher(self.index.key_list)
        return self._matcher


def years_agree(key: str, name: str) -> bool:
    """A phrase with a year matches only a name with that year, or with none ("Road 2006" is
    not "The Road 2009")."""
    typed, named = set(YEAR_RE.findall(key)), set(YEAR_RE.findall(name))
    return not typed or not named or bool(typed & named)
