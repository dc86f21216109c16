"""The local LLM: llama-cpp-python running a GGUF file on the CPU, as a :class:`ChatModel`.

The pipeline keeps its prompts in one growing conversation (profile, then selection, then each
explanation), so llama.cpp's prefix cache evaluates only the new tokens of each step.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from recommender.errors import ModelLoadError, ModelNotFoundError
from recommender.models.chat import (
    CHATML,
    Message,
    ModelTimeoutError,
    chat_formatter,
    compact_grammar,
    neutralized,
)
from recommender.models.compat import without_amx_repacking
from recommender.models.packaged import default_gguf_path

__all__ = ["LlamaCppChatModel", "load_chat_model"]

log = logging.getLogger(__name__)


class LlamaCppChatModel:
    """A GGUF model loaded once and shared; calls are serialised with a lock."""

    def __init__(self, model_path: Path, threads: int, context_tokens: int,
                 timeout_s: float = 60.0) -> None:
        from llama_cpp import Llama

        if not model_path.is_file():
            raise ModelNotFoundError(
                f"No model file at {model_path}. Set RECOMMENDER_MODEL_PATH to a .gguf file, "
                "or unset it to use the bundled SmolLM2-135M-Instruct."
            )
        try:
            with without_amx_repacking():
                self._llama = Llama(
                    model_path=str(model_path),
                    n_ctx=context_tokens,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_batch=512,
                    seed=0,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(
                f"llama.cpp could not load {model_path} ({exc}). Check that it is a complete GGUF "
                "file, or point RECOMMENDER_MODEL_PATH at another one."
            ) from exc
        self.name = model_path.name
        self.path = model_path
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._formatter, self._end_of_turn = _chat_formatter(self._llama)

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        json_schema: dict | None = None,
        prefix: str = "",
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        from llama_cpp import LlamaGrammar

        grammar = None
        if json_schema is not None:
            compact = compact_grammar(json_schema)
            grammar = (LlamaGrammar.from_string(compact, verbose=False) if compact else
                       LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False))
        prompt = self._formatter(messages=neutralized(messages)).prompt + prefix
        tokens = self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        with self._lock:
            deadline = time.monotonic() + self.timeout_s
            chunks = self._llama.create_completion(
                prompt=tokens,
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
                grammar=grammar,
                stop=[*stop, self._end_of_turn],
            )
            try:
                for chunk in chunks:
                    if time.monotonic() > deadline:
                        raise ModelTimeoutError(f"no answer within {self.timeout_s:g} s")
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
            finally:
                chunks.close()  # stop decoding now, not when the generator is collected


    def option_scores(self, messages: Sequence[Message], prefix: str,
                      options: Sequence[str]) -> list[float]:
        import numpy as np
        from llama_cpp import LogitsProcessorList

        first = [self._llama.tokenize(o.encode("utf-8"), add_bos=False, special=False)[0]
                 for o in options]
        if len(set(first)) != len(first):
            raise ValueError(f"options {list(options)} do not start with distinct tokens")
        prompt = self._formatter(messages=neutralized(messages)).prompt + prefix
        tokens = self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        captured: list[np.ndarray] = []

        def capture(_input_ids, scores):
            if not captured:
                captured.append(np.array(scores[first], dtype=np.float64))
            return scores

        with self._lock:
            self._llama.create_completion(prompt=tokens, max_tokens=1, temperature=0.0,
                                          logits_processor=LogitsProcessorList([capture]))
        logits = captured[0]
        logits = logits - logits.max()
        return (logits - np.log(np.exp(logits).sum())).tolist()


def _chat_formatter(llama):
    """The GGUF's own chat template (ChatML when it has none) and its end-of-turn text."""
    template = llama.metadata.get("tokenizer.chat_template") or CHATML
    eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", errors="ignore")
    bos = llama.detokenize([llama.token_bos()], special=True).decode("utf-8", errors="ignore")
    return chat_formatter(template, eos, bos), eos or "<|im_end|>"


def load_chat_model(model_path: Path | None, threads: int, context_tokens: int,
                    timeout_s: float = 60.0) -> LlamaCppChatModel:
    """The model named by the settings, or the bundled SmolLM2 when none is named."""
    path = model_path or default_gguf_path()
    log.info("loading LLM from %s", path)
    return LlamaCppChatModel(path, threads=threads, context_tokens=context_tokens,
                             timeout_s=timeout_s)
