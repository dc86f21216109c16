"""Decoding several replies to one prompt at once, as parallel sequences in one llama.cpp batch.

A turn's five explanation lines share everything but their openings. :class:`BatchDecoder`
keeps the prompt's common part in the cache once (sequence 0, reused by the next prompt that
starts the same way), copies it to one sequence per reply, and then decodes one token of every
unfinished reply per ``llama_decode`` call. On two cores a step of five sequences costs about
2.2 times a step of one (``docs/benchmarks.md``), so five lines take far less than five times one.

Why the answers do not depend on the batching, measured on this CPU build (``tests/test_llm.py``):

* A batch of one token takes another code path through the adapter's matrices than a batch of
  two or more, and its logits differ by up to 0.7; batches of 2 to 8 give identical numbers. So
  no call here decodes fewer than two tokens: a lone token is padded with a throw-away one in a
  sequence of its own (``PAD_SEQUENCE``), removed again at once.
* With flash attention a sequence's numbers do not depend on which other sequences share its
  batch or the cache cells between its own; without it they do. The model is loaded with it.
* Flash attention takes another, tiled path for a batch of 64 tokens or more, whose numbers
  depend on how the prompt was split and where in the cache it lies (up to 0.68 apart). So no
  call decodes more than ``MAX_BATCH`` tokens; a long prompt goes in pieces, which costs about a
  fifth of the prompt speed (179 to 189 against 220 to 231 tokens/s on two cores).

So the state a prompt leaves is a function of its tokens alone, however they were split into
batches and whatever the cache held before, and a reply reads the same decoded alone or beside
others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["BatchDecoder", "Decoding", "PAD_SEQUENCE", "MAX_SEQUENCES", "MAX_BATCH"]

MAX_SEQUENCES = 16
"""Sequences the context is made for: the cached prompt, up to 14 replies, and the pad."""
PAD_SEQUENCE = MAX_SEQUENCES - 1
MAX_BATCH = 63
"""Tokens per ``llama_decode`` call: below flash attention's tiled path (64 and up)."""

Processor = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Decoding:
    """One reply being decoded: its prompt's tokens, what it may write, and what it wrote."""

    prompt: list[int]
    max_tokens: int
    stop: Sequence[str] = ()
    processor: Processor | None = None
    """Called as ``processor(input_ids, scores)`` before each token is picked (the guards)."""
    tokens: list[int] = field(default_factory=list)
    text: str = ""
    shown: int = 0
    """Characters of ``text`` already handed out."""
    done: bool = False


class BatchDecoder:
    """Greedy decoding of one or more replies over one llama.cpp context (not thread-safe: the
    model's lock guards it)."""

    def __init__(self, llama) -> None:
        import llama_cpp.llama_cpp as low

        self._low, self._llama = low, llama
        self._ctx = llama._ctx.ctx
        self._memory = low.llama_get_memory(self._ctx)
        self._vocab = llama._model.vocab
        self._n_vocab = llama.n_vocab()
        self._n_batch = min(llama.n_batch, MAX_BATCH)
        self._batch = low.llama_batch_init(self._n_batch + 1, 0, 1)  # + the pad
        self.cached: list[int] = []
        """The tokens sequence 0 holds, in cells 0 up."""

    def close(self) -> None:
        if self._batch is not None:
            self._low.llama_batch_free(self._batch)
            self._batch = None

    # -- the cached prompt ----------------------------------------------------------------------

    def cache(self, tokens: Sequence[int]) -> None:
        """Leave exactly ``tokens`` in sequence 0, reusing what it holds of them."""
        common = 0
        for old, new in zip(self.cached, tokens):
            if old != new:
                break
            common += 1
        self._low.llama_memory_seq_rm(self._memory, 0, common, -1)
        self.cached = self.cached[:common]
        for start in range(common, len(tokens), self._n_batch):
            chunk = tokens[start:start + self._n_batch]
            self._decode([(t, start + i, 0, False) for i, t in enumerate(chunk)])
            self.cached.extend(chunk)

    def forget(self) -> None:
        """Empty the cache (after llama-cpp-python's own completion wrote into it)."""
        self._low.llama_memory_clear(self._memory, True)
        self.cached = []

    # -- decoding -------------------------------------------------------------------------------

    def next_logits(self, prompt: Sequence[int]) -> np.ndarray:
        """The logits after ``prompt``: all but its last token cached, the last decoded."""
        self.cache(prompt[:-1])
        self._low.llama_memory_seq_cp(self._memory, 0, 1, -1, -1)
        try:
            return self._decode([(prompt[-1], len(prompt) - 1, 1, True)])[0]
        finally:
            self._low.llama_memory_seq_rm(self._memory, 1, -1, -1)

    def run(self, decodings: Sequence[Decoding],
            deadline: float | None = None) -> Iterator[tuple[int, str | None]]:
        """Decode every reply greedily, all in one batch per step; yield ``(index, text)`` as
        text becomes final (a stop string may still begin in the text held back), and
        ``(index, None)`` when reply ``index`` is finished. Sequence 0 keeps the prompts' common
        part for the next call."""
        if len(decodings) > PAD_SEQUENCE - 1:
            raise ValueError(f"at most {PAD_SEQUENCE - 1} replies at once")
        shared = _common_prefix([d.prompt for d in decodings])
        self.cache(shared)
        sequences = range(1, len(decodings) + 1)
        try:
            for seq in sequences:
                self._low.llama_memory_seq_cp(self._memory, 0, seq, -1, -1)
            rows = self._prefill(decodings, len(shared))
            while True:
                entries: list[tuple[int, int, int, bool]] = []
                for index, (decoding, logits) in enumerate(zip(decodings, rows)):
                    if decoding.done:
                        continue
                    token = self._pick(decoding, logits)
                    piece = self._advance(decoding, token)
                    if piece:
                        yield index, piece
                    if decoding.done:
                        yield index, None
                    else:
                        entries.append((token, len(decoding.prompt) + len(decoding.tokens) - 1,
                                        index + 1, True))
                if not entries:
                    return
                if deadline is not None and time.monotonic() > deadline:
                    raise TimeoutError
                logits = iter(self._decode(entries))
                rows = [None if d.done else next(logits) for d in decodings]
        finally:
            for seq in sequences:
                self._low.llama_memory_seq_rm(self._memory, seq, -1, -1)

    def _prefill(self, decodings: Sequence[Decoding], start: int) -> list[np.ndarray]:
        """Decode each prompt's own tokens after the common part; the logits after each."""
        entries = [(token, start + i, index + 1, start + i == len(d.prompt) - 1)
                   for index, d in enumerate(decodings)
                   for i, token in enumerate(d.prompt[start:])]
        rows: list[np.ndarray] = []
        for first in range(0, len(entries), self._n_batch):
            rows += self._decode(entries[first:first + self._n_batch])
        return rows

    def _pick(self, decoding: Decoding, logits: np.ndarray) -> int:
        if decoding.processor is not None:
            ids = np.array([*decoding.prompt, *decoding.tokens], dtype=np.intc)
            logits = decoding.processor(ids, logits)
        return int(np.argmax(logits))

    def _advance(self, decoding: Decoding, token: int) -> str:
        """Take ``token`` into the reply; the text that is now final."""
        if self._low.llama_vocab_is_eog(self._vocab, token):
            decoding.done = True
        else:
            decoding.tokens.append(token)
            decoding.text = self._llama.detokenize(decoding.tokens).decode("utf-8", "ignore")
            decoding.done = len(decoding.tokens) >= decoding.max_tokens
        final = len(decoding.text)
        stops = [at for at in (decoding.text.find(s, max(decoding.shown - len(s), 0))
                               for s in decoding.stop if s) if at >= 0]
        if stops:
            decoding.done, final = True, min(stops)
            decoding.text = decoding.text[:final]
        elif not decoding.done:
            final -= _held_back(decoding.text, decoding.stop)
        piece = decoding.text[decoding.shown:final]
        decoding.shown = max(decoding.shown, final)
        return piece

    def _decode(self, entries: Sequence[tuple[int, int, int, bool]]) -> list[np.ndarray]:
        """One ``llama_decode`` of ``(token, position, sequence, wants logits)`` entries, padded to
        two; the logits of those that want them, in order."""
        low, batch = self._low, self._batch
        padded = [*entries, (entries[0][0], 0, PAD_SEQUENCE, False)] if len(entries) == 1 \
            else entries
        batch.n_tokens = len(padded)
        for i, (token, position, seq, wants) in enumerate(padded):
            batch.token[i], batch.pos[i], batch.logits[i] = token, position, wants
            batch.n_seq_id[i], batch.seq_id[i][0] = 1, seq
        status = low.llama_decode(self._ctx, batch)
        if len(padded) > len(entries):
            low.llama_memory_seq_rm(self._memory, PAD_SEQUENCE, -1, -1)
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status} (the context is full: raise "
                               "RECOMMENDER_CONTEXT_TOKENS)")
        return [np.ctypeslib.as_array(low.llama_get_logits_ith(self._ctx, i),
                                      shape=(self._n_vocab,)).copy()
                for i, entry in enumerate(entries) if entry[3]]


def _common_prefix(prompts: Sequence[Sequence[int]]) -> list[int]:
    """The tokens every prompt starts with, leaving each at least one of its own to decode."""
    shortest = min(len(p) for p in prompts) - 1
    common = 0
    while common < shortest and all(p[common] == prompts[0][common] for p in prompts):
        common += 1
    return list(prompts[0][:common])


def _held_back(text: str, stops: Sequence[str]) -> int:
    """How many characters at the end of ``text`` could be the start of a stop string."""
    return max((n for s in stops for n in range(min(len(s) - 1, len(text)), 0, -1)
                if text.endswith(s[:n])), default=0)
