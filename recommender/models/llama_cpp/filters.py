"""The decoding guards as llama.cpp logits processors: the core says what a reply may not write
(``chat.Guards``: word lists, a vocabulary, what may be quoted, where it may not end yet), and
this turns each into a function that rules tokens out before the next one is picked.

The tables they read (every token's text, each guarded word's token sequences, the tokens that
end a reply) are built once per model file and shared by every model loaded from it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from recommender.caching import BoundedCache
from recommender.models.chat import GoOn, Guards, repeatable_words
from recommender.models.llama_cpp.word_guard import (
    QuotationGuard,
    TokenTable,
    VocabularyGuard,
    trailing_word,
)
from recommender.vocabulary import names_any

__all__ = ["DecodingFilters"]


class DecodingFilters:
    """The guards of one loaded model (``llama``, read from ``model_path``; ``end_of_turn``:
    its chat template's end-of-turn text)."""

    def __init__(self, llama, model_path: Path, end_of_turn: str) -> None:
        self._llama = llama
        self._end_of_turn = end_of_turn
        self._shared = _tokenizer_tables(model_path)

    def for_request(self, guards: Guards, prefix: str, start: int, prose: bool = True):
        """The logits processors of one reply, or ``None``; ``start``: where the reply's tokens
        begin, after ``prefix``; ``prose``: a reply in English, not JSON (its articles are
        guarded). ``go_on`` is applied last, over the others."""
        from llama_cpp import LogitsProcessorList

        # with ``only_words`` the vocabulary guard also keeps words from coming back, whatever
        # their tokens, so the token-level repeat guard would only do its work again
        processors = ([self._blocking(guards.avoid)] if guards.avoid else []) + \
            ([self._keeping_to(guards.only_words, prefix, start, guards.no_repeats)]
             if guards.only_words else
             [self._blocking_repeats(start)] if guards.no_repeats else []) + \
            ([self._quoting(guards.quoted_words, start)] if guards.quoted_words is not None
             else [])
        if prose:
            processors.append(self._spelling())
        if guards.go_on is not None:
            processors.append(self._going_on(guards.go_on, start))
        return LogitsProcessorList(processors) if processors else None

    def _going_on(self, go_on: GoOn, start: int):
        """A logits processor that writes ``go_on.text`` where the reply (from token ``start``
        on) would end before naming one of ``go_on.names``: the likeliest next token is a full
        stop, a newline or the end of the turn. Its tokens are then written one by one, once."""
        forced = self._llama.tokenize(go_on.text.encode("utf-8"), add_bos=False, special=False)
        ends = self._ends()

        def force(scores, token: int):
            kept = scores[token]
            scores[:] = -np.inf
            scores[token] = kept if np.isfinite(kept) else 0.0
            return scores

        def keep(input_ids, scores):
            written = [int(t) for t in input_ids[start:]]
            for done in range(len(forced) - 1, 0, -1):  # part of the text written: the rest
                if written[-done:] == forced[:done]:
                    return force(scores, forced[done])
            if int(np.argmax(scores)) not in ends:
                return scores
            text = self._llama.detokenize(written).decode("utf-8", "ignore")
            if go_on.text in text or names_any(text, go_on.names):
                return scores
            return force(scores, forced[0])

        return keep

    def _ends(self) -> frozenset[int]:
        """The tokens that end a reply: a full stop or newline alone, the end of the turn."""
        if self._shared.ends is None:
            tokenize = self._llama.tokenize
            self._shared.ends = frozenset(
                {t for text in (".", ".\n", ".\n\n", "\n", "\n\n")
                 if len(ids := tokenize(text.encode("utf-8"), add_bos=False, special=False)) == 1
                 for t in ids} |
                {self._llama.token_eos(),
                 *tokenize(self._end_of_turn.encode("utf-8"), add_bos=False, special=True)})
        return self._shared.ends

    def _spelling(self):
        """A logits processor for what may not follow the last token (``TokenTable.not_next``):
        "a" before a vowel and "an" before a consonant ("an drama", "this time a oil"), and a
        space inside a number, so "from 2 017" cannot slip past the year guard."""
        barred = {token: np.array(ids, dtype=np.intp)
                  for token, ids in self.token_table().not_next().items()}

        def keep(input_ids, scores):
            ids = barred.get(int(input_ids[-1])) if len(input_ids) else None
            if ids is not None:
                scores[ids] = -np.inf
            return scores

        return keep

    def _quoting(self, words: Collection[str], start: int):
        """A logits processor that keeps whatever the reply (from token ``start`` on) puts in
        quotation marks to ``words`` (``QuotationGuard``)."""
        guard = QuotationGuard(self.token_table(), words)
        blocked_outside = np.array(guard.blocked_outside, dtype=np.intp)

        def keep(input_ids, scores):
            reply = self._llama.detokenize([int(t) for t in input_ids[start:]]).decode(
                "utf-8", "ignore")
            quoted = guard.quoting(reply)
            if quoted is None:
                scores[blocked_outside] = -np.inf
                return scores
            allowed = np.fromiter(guard.allowed(quoted), dtype=np.intp)
            if not len(allowed):  # a word no token goes on with: leave it to the checker
                return scores
            kept = scores[allowed]
            scores[:] = -np.inf
            scores[allowed] = kept
            return scores

        return keep

    def _keeping_to(self, words: Collection[str], prefix: str, start: int, no_repeats: bool):
        """A logits processor that lets through only the tokens that keep every word of the
        reply in ``words`` (``word_guard``): the product profile's vocabulary guard. With
        ``no_repeats``, a content word the reply has finished leaves the set, with its plural
        or singular: however it is split into tokens, "lavender" is not written twice."""
        table, allowed_words = self.token_table(), frozenset(words)
        said: set[str] = set()
        guard = VocabularyGuard(table, allowed_words)

        def keep(input_ids, scores):
            nonlocal guard
            reply = self._llama.detokenize([int(t) for t in input_ids[start:]]).decode(
                "utf-8", "ignore")
            finished = repeatable_words(reply) if no_repeats else set()
            if not finished <= said:
                said.update(finished)
                forms = {*said, *(f"{w}s" for w in said), *(w[:-1] for w in said if
                                                             w.endswith("s"))}
                guard = VocabularyGuard(table, allowed_words - forms)
            allowed = np.fromiter(guard.allowed(*trailing_word(prefix + reply)), dtype=np.intp)
            kept = scores[allowed]
            scores[:] = -np.inf
            scores[allowed] = kept
            return scores

        return keep

    def token_table(self) -> TokenTable:
        """Every token's text, sorted for the vocabulary guard (built on first use)."""
        if self._shared.table is None:
            texts: list[str | None] = []
            for token in range(self._llama.n_vocab()):
                try:
                    texts.append(self._llama.detokenize([token]).decode("utf-8"))
                except UnicodeDecodeError:
                    texts.append(None)  # a piece of a character
            self._shared.table = TokenTable.from_texts(texts)
        return self._shared.table

    def _blocking_repeats(self, start: int):
        """A logits processor that keeps each content word the reply has written from being
        written again (from token ``start`` on): the profile's guard against "soap, soap and
        soap". The blocked set grows as words are finished."""
        said: set[str] = set()
        guard = None  # the blocking processor for ``said``, rebuilt when a word is added

        def block(input_ids, scores):
            nonlocal guard
            text = self._llama.detokenize([int(t) for t in input_ids[start:]]).decode(
                "utf-8", "ignore")
            words = repeatable_words(text)
            if not words <= said:
                said.update(words)
                guard = self._blocking(sorted(said))
            return guard(input_ids, scores) if guard is not None else scores

        return block

    def _blocking(self, words: Sequence[str]):
        """A logits processor that keeps each word of ``words`` (after a space, in lower case or
        capitalised) from being written: the decoding guard. A word of one token is ruled out
        outright; for a longer one, its last token is ruled out after the tokens before it (" thr"
        may still start "three", but not "thriller")."""
        single: set[int] = set()
        last: dict[int, list[tuple[tuple[int, ...], int]]] = {}  # token before → (pieces, next)
        for word in words:
            for pieces in self._word_pieces(word):
                if len(pieces) == 1:
                    single.add(pieces[0])
                else:
                    last.setdefault(pieces[-2], []).append((pieces[:-1], pieces[-1]))
        blocked = np.array(sorted(single), dtype=np.intp)

        def block(input_ids, scores):
            scores[blocked] = -np.inf
            for before, after in last.get(int(input_ids[-1]), ()) if len(input_ids) else ():
                if tuple(int(t) for t in input_ids[-len(before):]) == before:
                    scores[after] = -np.inf
            return scores

        return block

    def _word_pieces(self, word: str) -> list[tuple[int, ...]]:
        """The token sequences that write ``word`` as a word: after a space or an opening
        quotation mark (“action”), in lower case or capitalised. A quoted word is one token
        longer, so only its last token is ruled out, after the quotation mark."""
        pieces = self._shared.pieces.get(word)
        if pieces is None:
            pieces = list(dict.fromkeys(
                tuple(self._llama.tokenize(f"{before}{w}".encode("utf-8"), add_bos=False,
                                           special=False))
                for w in dict.fromkeys((word, word.capitalize()))
                for before in (" ", " “", "“")))
            self._shared.pieces.put(word, pieces)
        return pieces



WORD_PIECES_KEPT = 50_000
"""Guarded words whose token sequences are kept: the catalogs' words that get guarded number a
few thousand; the rest are words the model wrote once."""


@dataclass
class _TokenizerTables:
    """What the guards read of a model file's tokenizer, built once per file and shared by
    every model loaded from it (the app's, the base model beside an adapter, each test's):
    every token's text, and the token sequences of each guarded word."""

    table: TokenTable | None = None
    pieces: BoundedCache = field(default_factory=lambda: BoundedCache(WORD_PIECES_KEPT))
    """Guarded words' token sequences: the catalog's words and every word the model wrote (the
    repetition guard), so without a bound it grew with every turn served."""
    ends: frozenset[int] | None = None
    """The tokens that end a reply (``DecodingFilters._ends``)."""


_TABLES: dict[tuple[str, int], _TokenizerTables] = {}


def _tokenizer_tables(model_path: Path) -> _TokenizerTables:
    """The shared tables of ``model_path`` (an adapter leaves the tokenizer as it is)."""
    key = (str(model_path.resolve()), model_path.stat().st_size)
    return _TABLES.setdefault(key, _TokenizerTables())


