"""Decoding many replies at once, as parallel sequences in one llama.cpp batch: the replies of
one call (a turn's five explanation lines) and those of every call in flight (other visitors'
turns), continuously batched.

:class:`BatchDecoder` runs one worker thread that owns the llama.cpp context. A call hands it
its replies and reads their text as it is decoded. Each step is one ``llama_decode`` of the
next token of every reply being written, filled up with the prompt tokens still to evaluate
(of calls just arrived), so a turn's prompt is read while other turns' lines are written. The
replies of a call share their prompt's common part: it is evaluated once, into a sequence of its
own, and copied (cells shared, not duplicated) to one sequence per reply; a later call that
starts the same way (the explanation step after the profile step, the next visitor's system
prompt) copies what it shares from it instead of evaluating it again. On two cores a step of
five sequences costs about 2.2 times a step of one (``docs/benchmarks.md``).

Cells are only ever added while calls are in flight (an *epoch*); when a new call would not fit,
it waits until the calls in flight are done, and the cache is emptied.

Why a reply does not depend on what it is batched with, measured on this CPU build
(``tests/test_llm.py``):
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

* Flash attention adds up a sequence's cells in cache order, so they must lie in the order of
  their positions: cells are never freed in an epoch (but the pad's, the last one written,
  which the next token takes again).

So the state a prompt leaves is a function of its tokens alone, however they were split into
batches and whatever the cache held before, and a reply reads the same decoded alone or beside
others, in one call or beside other visitors' calls.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from recommender.models.llama_cpp.context import BatchToken, LlamaContext

__all__ = ["BatchDecoder", "Decoding", "PAD_SEQUENCE", "MAX_SEQUENCES", "MAX_BATCH",
           "MAX_REPLIES"]

log = logging.getLogger(__name__)

MAX_SEQUENCES = 256
"""Sequences the context is made for (llama.cpp's most); the last is the pad's."""
PAD_SEQUENCE = MAX_SEQUENCES - 1
MAX_BATCH = 63
"""Tokens per ``llama_decode`` call: below flash attention's tiled path (64 and up)."""
MAX_REPLIES = 40
"""Replies written at once, over all calls: each step then still has room for prompt tokens."""

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
    sequence: int = -1
    evaluated: int = 0
    """Tokens of ``prompt`` and ``tokens`` in the cache, for this reply's sequence."""


@dataclass
class _Call:
    """The replies of one call, and where they stand in the worker."""

    decodings: Sequence[Decoding]
    out: queue.Queue = field(default_factory=queue.Queue)
    alone: Callable[[], Iterator[str]] | None = None
    """Work that needs the context to itself (llama-cpp-python's own completion)."""
    shared: list[int] = field(default_factory=list)
    """The prompts' common part, evaluated once into ``prefix``."""
    prefix: int = -1
    prefix_evaluated: int = 0
    copied: bool = False
    """The prefix is in every reply's sequence."""
    cancelled: bool = False


_END = object()


class BatchDecoder:
    """Greedy decoding of replies over one llama.cpp context, for any number of threads: each
    call's replies go to the worker thread, which batches them with every other call's."""

    def __init__(self, llama) -> None:
        self._llama = llama
        self.context = LlamaContext(llama, MAX_BATCH + 1)  # + the pad
        """The low-level calls it decodes with (and the speed probe reads)."""
        self._cells = self.context.cells
        self._changed = threading.Condition()
        self._waiting: deque[_Call] = deque()
        self._active: list[_Call] = []
        self._prefixes: list[_Call] = []  # this epoch's calls, whose prefixes may be copied
        self._used = 0  # cells written this epoch
        self._next_sequence = 0
        self._worker: threading.Thread | None = None
        self.most_in_flight = 0
        """The most calls ever decoded together (the benchmark and the tests read it)."""

    # -- for callers (any thread) ---------------------------------------------------------------

    def run(self, decodings: Sequence[Decoding],
            deadline: float | None = None) -> Iterator[tuple[int, str | None]]:
        """Decode every reply greedily, batched with each other and with other calls; yield
        ``(index, text)`` as text becomes final (a stop string may still begin in the text held
        back), and ``(index, None)`` when reply ``index`` is finished. ``TimeoutError`` past
        ``deadline`` (``time.monotonic``)."""
        if not decodings:
            return
        if len(decodings) > MAX_REPLIES:
            raise ValueError(f"at most {MAX_REPLIES} replies at once")
        call = _Call(decodings, shared=_common_prefix([d.prompt for d in decodings]))
        yield from self._results(call, deadline)

    def run_alone(self, work: Callable[[], Iterator[str]],
                  deadline: float | None = None) -> Iterator[str]:
        """Run ``work`` in the worker with the context to itself and an empty cache (emptied
        again after it); yield what it yields."""
        for piece in self._results(_Call((), alone=work), deadline):
            yield piece[1]

    def fill(self, tokens: Sequence[int]) -> None:
        """For ``run_alone`` work: evaluate ``tokens`` into sequence 0 of the empty cache."""
        for start in range(0, len(tokens), MAX_BATCH):
            chunk = tokens[start:start + MAX_BATCH]
            self._decode([(t, start + i, 0, False) for i, t in enumerate(chunk)])

    def _results(self, call: _Call, deadline: float | None) -> Iterator:
        with self._changed:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="llama-batches",
                                                daemon=True)
                self._worker.start()
            self._waiting.append(call)
            self._changed.notify()
        try:
            while True:
                wait = None if deadline is None else deadline - time.monotonic()
                if wait is not None and wait <= 0:
                    raise TimeoutError
                try:
                    item = call.out.get(timeout=wait)
                except queue.Empty:
                    raise TimeoutError from None
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            call.cancelled = True  # the worker drops what is left of it

    # -- the worker -----------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            alone = None
            try:
                with self._changed:
                    while not self._waiting and not self._active:
                        self._changed.wait()
                    alone = self._admit()
                if alone is not None:
                    self._run_alone(alone)
                else:
                    self._step()
            except Exception as exc:  # every call in flight fails; the worker goes on
                log.exception("llama.cpp decoding failed")
                for call in [*self._active, *([alone] if alone else [])]:
                    call.out.put(exc)
                self._active.clear()
                self._new_epoch()

    def _admit(self) -> _Call | None:
        """Move waiting calls in, in order, while they fit; a call that needs the context
        alone is returned once nothing else is in flight."""
        while self._waiting:
            call = self._waiting[0]
            if call.cancelled:
                self._waiting.popleft()
                continue
            if call.alone is not None:
                if self._active:
                    return None
                self._waiting.popleft()
                return call
            if not self._fits(call):
                if self._active:
                    return None  # wait for the calls in flight, then start a new epoch
                self._new_epoch()
                if not self._fits(call):
                    self._waiting.popleft()
                    call.out.put(RuntimeError(
                        f"the prompt and replies need more than the context's {self._cells} "
                        "tokens: raise RECOMMENDER_CONTEXT_TOKENS"))
                    continue
            self._waiting.popleft()
            self._start(call)
        return None

    def _fits(self, call: _Call) -> bool:
        reused = self._source(call.shared)[1]
        cells = len(call.shared) - reused + sum(len(d.prompt) - len(call.shared) + d.max_tokens
                                                for d in call.decodings)
        writing = sum(1 for c in self._active for d in c.decodings if not d.done)
        return (self._used + self._reserved() + cells < self._cells  # and a cell for the pad
                and self._next_sequence + 1 + len(call.decodings) < PAD_SEQUENCE
                and writing + len(call.decodings) <= MAX_REPLIES)

    def _reserved(self) -> int:
        """Cells the calls in flight may still write (at most)."""
        return sum(len(call.shared) - call.prefix_evaluated for call in self._active) + sum(
            len(d.prompt) + d.max_tokens - d.evaluated for call in self._active
            for d in call.decodings if not d.done and call.copied) + sum(
            len(d.prompt) - len(call.shared) + d.max_tokens for call in self._active
            for d in call.decodings if not call.copied)

    def _source(self, tokens: Sequence[int]) -> tuple[_Call | None, int]:
        """The call of this epoch whose prefix holds the most of ``tokens`` (evaluated), and
        how much."""
        best, most = None, 0
        for earlier in self._prefixes:
            limit = min(earlier.prefix_evaluated, len(tokens))
            common = 0
            while common < limit and earlier.shared[common] == tokens[common]:
                common += 1
            if common > most:
                best, most = earlier, common
        return best, most

    def _start(self, call: _Call) -> None:
        source, reused = self._source(call.shared)
        call.prefix = self._sequence()
        for decoding in call.decodings:
            decoding.sequence = self._sequence()
        if source is not None:
            self.context.copy_sequence(source.prefix, call.prefix, 0, reused)
        call.prefix_evaluated = reused
        self._prefixes.append(call)
        self._active.append(call)
        self.most_in_flight = max(self.most_in_flight, len(self._active))
        self._copy_when_ready(call)

    def _sequence(self) -> int:
        self._next_sequence += 1
        return self._next_sequence - 1

    def _copy_when_ready(self, call: _Call) -> None:
        if not call.copied and call.prefix_evaluated == len(call.shared):
            for decoding in call.decodings:
                self.context.copy_sequence(call.prefix, decoding.sequence, -1, -1)
                decoding.evaluated = len(call.shared)
            call.copied = True

    def _new_epoch(self) -> None:
        self.context.clear()
        self._prefixes.clear()
        self._used, self._next_sequence = 0, 0

    def _run_alone(self, call: _Call) -> None:
        self._new_epoch()
        try:
            for piece in call.alone():
                if call.cancelled:
                    break
                call.out.put((0, piece))
            call.out.put(_END)
        finally:
            self._new_epoch()

    def _step(self) -> None:
        """One ``llama_decode``: the next token of every reply being written, then prompt
        tokens, in the order the calls came, up to ``MAX_BATCH``."""
        for call in [c for c in self._active if c.cancelled]:
            self._finish(call)
        for call in [c for c in self._active if all(d.done for d in c.decodings)]:
            self._finish(call)  # nothing left to write
            call.out.put(_END)
        entries: list[tuple[int, int, int, bool]] = []
        wanting: list[tuple[_Call, int]] = []
        for call in self._active:
            for index, d in enumerate(call.decodings):
                if call.copied and not d.done and d.evaluated == len(d.prompt) + len(d.tokens) - 1 \
                        and d.tokens:
                    entries.append((d.tokens[-1], d.evaluated, d.sequence, True))
                    wanting.append((call, index))
        room = MAX_BATCH - len(entries)
        for call in self._active:
            if room <= 0:
                break
            if not call.copied:
                take = call.shared[call.prefix_evaluated:][:room]
                entries += [(t, call.prefix_evaluated + i, call.prefix, False)
                            for i, t in enumerate(take)]
                room -= len(take)
                continue
            for index, d in enumerate(call.decodings):
                left = len(d.prompt) - d.evaluated
                if room <= 0 or d.done or left <= 0:
                    continue
                take = d.prompt[d.evaluated:][:room]
                last = d.evaluated + len(take) == len(d.prompt)
                entries += [(t, d.evaluated + i, d.sequence, last and i == len(take) - 1)
                            for i, t in enumerate(take)]
                if last:
                    wanting.append((call, index))
                room -= len(take)
        if not entries:
            return
        rows = self._decode(entries)
        self._used += len(entries)
        self._account(entries)
        for (call, index), logits in zip(wanting, rows):
            self._next(call, index, logits)
        for call in [c for c in self._active if all(d.done for d in c.decodings)]:
            self._finish(call)
            call.out.put(_END)

    def _account(self, entries: Sequence[tuple[int, int, int, bool]]) -> None:
        """Advance what each sequence holds by the tokens just decoded."""
        counts: dict[int, int] = {}
        for _, _, sequence, _ in entries:
            counts[sequence] = counts.get(sequence, 0) + 1
        for call in self._active:
            if call.prefix in counts:
                call.prefix_evaluated += counts[call.prefix]
                self._copy_when_ready(call)
            for d in call.decodings:
                d.evaluated += counts.get(d.sequence, 0)

    def _next(self, call: _Call, index: int, logits: np.ndarray) -> None:
        decoding = call.decodings[index]
        if decoding.processor is not None:
            ids = np.array([*decoding.prompt, *decoding.tokens], dtype=np.intc)
            logits = decoding.processor(ids, logits)
        piece = self._advance(decoding, int(np.argmax(logits)))
        if piece:
            call.out.put((index, piece))
        if decoding.done:
            decoding.processor = None  # its guards are not needed any more
            call.out.put((index, None))

    def _finish(self, call: _Call) -> None:
        """The call leaves the worker; its record stays in this epoch's prefixes (for later
        calls to share its prompt), without its guards, which held a turn's word tables."""
        for decoding in call.decodings:
            decoding.done, decoding.processor = True, None
        call.alone = None
        self._active.remove(call)

    def _advance(self, decoding: Decoding, token: int) -> str:
        """Take ``token`` into the reply; the text that is now final."""
        if self.context.is_end(token):
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
        tokens = [BatchToken(*entry) for entry in entries]
        if len(tokens) == 1:
            tokens.append(BatchToken(tokens[0].token, 0, PAD_SEQUENCE, False))
        status = self.context.decode(tokens)
        if len(tokens) > len(entries):
            self.context.drop_sequence(PAD_SEQUENCE)
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status} (the context is full: raise "
                               "RECOMMENDER_CONTEXT_TOKENS)")
        return [self.context.logits(i) for i, entry in enumerate(entries) if entry[3]]


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
