"""The local LLM: llama-cpp-python running a GGUF file on the CPU, as a :class:`ChatModel`.

The pipeline keeps its prompts in one growing conversation (profile, then the explanations), so
the cached prompt (``batch_decoder.BatchDecoder``) covers all but the new tokens of each step,
and a turn's explanation lines are decoded together, as parallel sequences over their shared
prompt (``generate``). The guards are ``filters``; the low-level calls ``context``.

The same prompt must give the same reply whatever was evaluated before it, and whether it was
decoded alone or beside others: a user study shows two participants who typed the same titles
the same explanation. ``batch_decoder`` says how that is kept
(``tests/test_llm.py::test_the_same_prompt_scores_the_same_whatever_the_cache_held``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from recommender.errors import ModelLoadError, ModelNotFoundError
from recommender.models.adapters import check_adapter, resolve_adapter
from recommender.models.chat import (
    CHATML,
    GUARD_KINDS,
    Capabilities,
    Guards,
    Message,
    ModelTimeoutError,
    Request,
    chat_formatter,
    compact_grammar,
    neutralized,
)
from recommender.models.llama_cpp.batch_decoder import MAX_SEQUENCES, BatchDecoder, Decoding
from recommender.models.llama_cpp.compat import with_parallel_sequences, without_amx_repacking
from recommender.models.llama_cpp.filters import DecodingFilters
from recommender.models.llama_cpp.speed import measure
from recommender.models.packaged import default_gguf_path

__all__ = ["LlamaCppChatModel", "load_chat_model", "load_llama", "template_of"]

log = logging.getLogger(__name__)


class LlamaCppChatModel:
    """A GGUF model loaded once and shared by every session: calls from any thread are
    decoded together (``batch_decoder``)."""

    capabilities = Capabilities(guards=frozenset(GUARD_KINDS), together=True)

    def __init__(self, model_path: Path, threads: int, context_tokens: int,
                 timeout_s: float = 60.0, adapter_path: Path | None = None) -> None:
        self._llama = load_llama(model_path, threads, context_tokens, adapter_path)
        self.name = model_path.name + (f" + {adapter_path.name}" if adapter_path else "")
        self.path = model_path
        self.adapter_path = adapter_path
        self.timeout_s = timeout_s
        self._formatter, self._end_of_turn = template_of(self._llama)
        self._decoder = BatchDecoder(self._llama)
        self._filters = DecodingFilters(self._llama, model_path, self._end_of_turn)

    def generate(self, requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        """Every plain request decoded at once, one batch per step; a request under a JSON
        schema decoded alone, with llama-cpp-python's grammar sampling (``_constrained``)."""
        if any(r.json_schema is not None for r in requests):
            for index, request in enumerate(requests):
                for _, piece in (self._constrained(request) if request.json_schema is not None
                                 else self._decode([request])):
                    if piece is not None:
                        yield index, piece
                yield index, None
            return
        yield from self._decode(requests)

    def _decode(self, requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        decodings = []
        for request in requests:
            prompt = self.prompt_tokens(request.messages, request.prefix)
            decodings.append(Decoding(
                prompt, request.max_tokens, stop=[*request.stop, self._end_of_turn],
                processor=self._filters.for_request(request.guards, request.prefix,
                                                    len(prompt))))
        try:
            yield from self._decoder.run(decodings, time.monotonic() + self.timeout_s)
        except TimeoutError:
            raise ModelTimeoutError(f"no answer within {self.timeout_s:g} s") from None

    def _constrained(self, request: Request) -> Iterator[tuple[int, str]]:
        """A reply under a JSON-schema grammar, through llama-cpp-python's own completion (the
        selection and reading steps, off the default path), with the context to itself: the
        prompt evaluated as any other, then its last token and the reply one at a time."""
        from llama_cpp import LlamaGrammar

        tokens = self.prompt_tokens(request.messages, request.prefix)
        compact = compact_grammar(request.json_schema)
        grammar = (LlamaGrammar.from_string(compact, verbose=False) if compact else
                   LlamaGrammar.from_json_schema(json.dumps(dict(request.json_schema)),
                                                 verbose=False))
        guards = Guards(avoid=request.guards.avoid)  # JSON, not prose: only avoided words
        llama, cached = self._llama, tokens[:-1]

        def complete() -> Iterator[str]:
            self._decoder.fill(cached)
            llama.n_tokens = len(cached)
            llama.input_ids[:len(cached)] = cached
            chunks = llama.create_completion(
                prompt=tokens, max_tokens=request.max_tokens, temperature=0.0, stream=True,
                grammar=grammar, stop=[*request.stop, self._end_of_turn],
                logits_processor=self._filters.for_request(guards, "", len(tokens),
                                                           prose=False))
            try:
                for chunk in chunks:
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
            finally:
                chunks.close()  # stop decoding now, not when the generator is collected
                llama.n_tokens = 0

        try:
            for piece in self._decoder.run_alone(complete, time.monotonic() + self.timeout_s):
                yield 0, piece
        except TimeoutError:
            raise ModelTimeoutError(f"no answer within {self.timeout_s:g} s") from None

    def prompt_tokens(self, messages: Sequence[Message], prefix: str = "") -> list[int]:
        """The tokens the model reads for ``messages`` and the start of its reply: the GGUF's
        chat template, control-token text in the messages neutralised (``neutralized``)."""
        prompt = self._formatter(messages=neutralized(messages)).prompt + prefix
        return self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def option_scores(self, messages: Sequence[Message], prefix: str,
                      options: Sequence[str]) -> list[float]:
        first = [self._llama.tokenize(o.encode("utf-8"), add_bos=False, special=False)[0]
                 for o in options]
        if len(set(first)) != len(first):
            raise ValueError(f"options {list(options)} do not start with distinct tokens")
        captured: list[np.ndarray] = []

        def capture(_input_ids, scores):
            captured.append(np.array(scores[first], dtype=np.float64))
            return scores

        decoding = Decoding(self.prompt_tokens(messages, prefix), 1, processor=capture)
        for _ in self._decoder.run([decoding], time.monotonic() + self.timeout_s):
            pass
        chosen = captured[0] - captured[0].max()
        return (chosen - np.log(np.exp(chosen).sum())).tolist()

    @property
    def most_in_flight(self) -> int:
        """The most calls the model has decoded together so far (``batch_decoder``)."""
        return self._decoder.most_in_flight

    def warm_up(self) -> None:
        """Build now what the first turn would otherwise wait for: every token's text, which the
        decoding guards read (about a second on two cores)."""
        self._filters.token_table()

    def speed(self, batch_sizes: Sequence[int] = (1, 2, 3, 5, 8, 14)) -> dict:
        """This machine's speed now, as the turns use the model (``speed.measure``)."""
        return measure(self._llama, self._decoder, batch_sizes)

def load_llama(model_path: Path, threads: int, context_tokens: int,
               adapter_path: Path | None = None):
    """A ``Llama`` loaded as the batch decoder needs it: flash attention (a sequence's numbers
    then do not depend on its neighbours), room for ``MAX_SEQUENCES`` sequences, no AMX
    repacking (``compat``); with the adapter at ``adapter_path``, checked against the model."""
    from llama_cpp import Llama

    if not model_path.is_file():
        raise ModelNotFoundError(
            f"No model file at {model_path}. Set RECOMMENDER_MODEL_PATH to a .gguf file, "
            "or unset it to use the bundled SmolLM2-135M-Instruct."
        )
    if adapter_path is not None:
        check_adapter(adapter_path, model_path)
    try:
        with without_amx_repacking(), with_parallel_sequences(MAX_SEQUENCES):
            return Llama(model_path=str(model_path),
                         lora_path=None if adapter_path is None else str(adapter_path),
                         n_ctx=context_tokens, n_threads=threads, n_threads_batch=threads,
                         n_batch=512, seed=0, flash_attn=True, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelLoadError(
            f"llama.cpp could not load {model_path} ({exc}). Check that it is a complete GGUF "
            "file, or point RECOMMENDER_MODEL_PATH at another one."
        ) from exc


def template_of(llama):
    """The GGUF's own chat template (ChatML when it has none) and its end-of-turn text."""
    template = llama.metadata.get("tokenizer.chat_template") or CHATML
    eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", errors="ignore")
    bos = llama.detokenize([llama.token_bos()], special=True).decode("utf-8", errors="ignore")
    return chat_formatter(template, eos, bos), eos or "<|im_end|>"


def load_chat_model(model_path: Path | None, threads: int, context_tokens: int,
                    timeout_s: float = 60.0,
                    adapter_path: Path | None = None) -> LlamaCppChatModel:
    """The model named by the settings, or the bundled SmolLM2 when none is named, with the
    adapter ``resolve_adapter`` names."""
    path = model_path or default_gguf_path()
    adapter = resolve_adapter(adapter_path, model_path)
    log.info("loading LLM from %s%s", path, f" with the adapter {adapter}" if adapter else "")
    return LlamaCppChatModel(path, threads=threads, context_tokens=context_tokens,
                             timeout_s=timeout_s, adapter_path=adapter)
