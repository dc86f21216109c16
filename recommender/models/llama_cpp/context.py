"""The few low-level llama.cpp calls the batch decoder and the guards make, in one place.

llama-cpp-python's ``Llama`` decodes one sequence at a time; decoding a turn's replies as
parallel sequences of one batch needs llama.cpp's own API (``llama_cpp.llama_cpp``: batches,
the memory's sequences, the logits of a batch position) and the context and vocabulary pointers
``Llama`` keeps in private attributes (``_ctx.ctx``, ``_model.vocab``). This is the only module
that reaches them; ``tests/contracts/test_llama_cpp_api.py`` pins what it relies on, so an
upgrade of llama-cpp-python that moves them fails there, by name, not in the middle of a turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

__all__ = ["LlamaContext", "BatchToken", "LOW_LEVEL_FUNCTIONS"]

LOW_LEVEL_FUNCTIONS = (
    "llama_get_memory", "llama_batch_init", "llama_decode", "llama_get_logits_ith",
    "llama_memory_seq_cp", "llama_memory_seq_rm", "llama_memory_clear", "llama_vocab_is_eog",
)
"""The functions of ``llama_cpp.llama_cpp`` this module calls."""


class BatchToken(NamedTuple):
    """One token of a ``llama_decode`` batch: where it goes, and whether its logits are kept."""

    token: int
    position: int
    sequence: int
    logits: bool


class LlamaContext:
    """A loaded ``Llama``'s context through llama.cpp's low-level API: decode a batch of tokens
    over several sequences, read a batch position's logits, copy, drop and clear sequences of the
    memory (the KV cache), and tell end-of-generation tokens."""

    def __init__(self, llama, batch_tokens: int) -> None:
        import llama_cpp.llama_cpp as low

        self._low = low
        self._ctx = llama._ctx.ctx
        self._vocab = llama._model.vocab
        self._memory = low.llama_get_memory(self._ctx)
        self._batch = low.llama_batch_init(batch_tokens, 0, 1)
        self.batch_tokens = batch_tokens
        self.n_vocab: int = llama.n_vocab()
        self.cells: int = llama.n_ctx()
        """Memory cells: tokens the context holds over all its sequences."""

    def decode(self, tokens: Sequence[BatchToken]) -> int:
        """Evaluate ``tokens`` in one ``llama_decode``; llama.cpp's status (0: done)."""
        if len(tokens) > self.batch_tokens:
            raise ValueError(f"{len(tokens)} tokens in a batch made for {self.batch_tokens}")
        batch = self._batch
        batch.n_tokens = len(tokens)
        for i, (token, position, sequence, logits) in enumerate(tokens):
            batch.token[i], batch.pos[i], batch.logits[i] = token, position, logits
            batch.n_seq_id[i], batch.seq_id[i][0] = 1, sequence
        return self._low.llama_decode(self._ctx, batch)

    def logits(self, index: int) -> np.ndarray:
        """A copy of the logits of the last ``decode``'s token at ``index`` (one kept)."""
        return np.ctypeslib.as_array(self._low.llama_get_logits_ith(self._ctx, index),
                                     shape=(self.n_vocab,)).copy()

    def copy_sequence(self, source: int, target: int, start: int, end: int) -> None:
        """Positions ``start`` to ``end`` of sequence ``source`` become ``target``'s too (the
        cells are shared, not duplicated)."""
        self._low.llama_memory_seq_cp(self._memory, source, target, start, end)

    def drop_sequence(self, sequence: int) -> None:
        """Every cell of ``sequence`` is freed."""
        self._low.llama_memory_seq_rm(self._memory, sequence, -1, -1)

    def clear(self) -> None:
        """The memory is emptied, every sequence of it."""
        self._low.llama_memory_clear(self._memory, True)

    def is_end(self, token: int) -> bool:
        """Whether ``token`` ends generation (end of text, of the turn)."""
        return bool(self._low.llama_vocab_is_eog(self._vocab, token))

    def end_tokens(self) -> list[int]:
        """Every token that ends generation."""
        return [t for t in range(self.n_vocab) if self.is_end(t)]
