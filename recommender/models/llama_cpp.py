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
from recommender.settings import PROJECT_ROOT

__all__ = ["LlamaCppChatModel", "load_chat_model", "resolve_adapter", "check_adapter",
           "SHIPPED_ADAPTER"]

SHIPPED_ADAPTER = PROJECT_ROOT / "assets" / "models" / "adapter" / "smollm2-135m-instruct.gguf"
"""The adapter ``python -m recommender finetune`` trained for the bundled model."""

log = logging.getLogger(__name__)


class LlamaCppChatModel:
    """A GGUF model loaded once and shared; calls are serialised with a lock."""

    def __init__(self, model_path: Path, threads: int, context_tokens: int,
                 timeout_s: float = 60.0, adapter_path: Path | None = None) -> None:
        from llama_cpp import Llama

        if not model_path.is_file():
            raise ModelNotFoundError(
                f"No model file at {model_path}. Set RECOMMENDER_MODEL_PATH to a .gguf file, "
                "or unset it to use the bundled SmolLM2-135M-Instruct."
            )
        if adapter_path is not None:
            check_adapter(adapter_path, model_path)
        try:
            with without_amx_repacking():
                self._llama = Llama(
                    model_path=str(model_path),
                    lora_path=None if adapter_path is None else str(adapter_path),
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
        self.name = model_path.name + (f" + {adapter_path.name}" if adapter_path else "")
        self.path = model_path
        self.adapter_path = adapter_path
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
                    timeout_s: float = 60.0,
                    adapter_path: Path | None = None) -> LlamaCppChatModel:
    """The model named by the settings, or the bundled SmolLM2 when none is named, with the
    adapter ``resolve_adapter`` names."""
    path = model_path or default_gguf_path()
    adapter = resolve_adapter(adapter_path, model_path)
    log.info("loading LLM from %s%s", path, f" with the adapter {adapter}" if adapter else "")
    return LlamaCppChatModel(path, threads=threads, context_tokens=context_tokens,
                             timeout_s=timeout_s, adapter_path=adapter)


def resolve_adapter(setting: Path | None, model_path: Path | None) -> Path | None:
    """The adapter to apply: the setting's file; the shipped one for ``shipped``; none when
    unset or ``none``. Not on by default yet: with the adapter, the same history can get a
    different explanation on a later turn (llama.cpp's reused prefix cache moves near-tied
    logits), which a user study must not see (docs/finetune.md)."""
    if setting is None or str(setting).lower() == "none":
        return None
    return SHIPPED_ADAPTER if str(setting).lower() == "shipped" else setting


def check_adapter(adapter: Path, model_path: Path) -> None:
    """Stop with a message naming the setting when ``adapter`` is missing, unreadable, or was
    trained for another base model than ``model_path``."""
    from recommender.errors import RecommenderError

    try:
        from recommender.finetune.gguf_adapter import adapter_base, gguf_metadata_identity
    except ImportError as exc:  # pragma: no cover - gguf is in requirements.txt
        raise ModelLoadError(f"Reading an adapter needs {exc.name}: pip install -r "
                             "requirements.txt, or set RECOMMENDER_ADAPTER_PATH=none.") from exc
    if not adapter.is_file():
        raise ModelLoadError(f"No adapter file at {adapter}. Point RECOMMENDER_ADAPTER_PATH at "
                             "one made by python -m recommender finetune, or set it to none.")
    try:
        trained_on, base = adapter_base(adapter), gguf_metadata_identity(model_path)
    except RecommenderError as exc:
        raise ModelLoadError(f"{exc} Fix RECOMMENDER_ADAPTER_PATH (or set it to none).") from exc
    if trained_on != base:
        raise ModelLoadError(
            f"The adapter {adapter} was trained for another model ({trained_on}), not "
            f"{model_path.name} ({base}). Set RECOMMENDER_ADAPTER_PATH to an adapter made for "
            "this model with python -m recommender finetune, or to none.")
