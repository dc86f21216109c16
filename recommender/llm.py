"""The local LLM: llama-cpp-python running a GGUF file on the CPU.

One small interface, :class:`ChatModel`: stream the reply to a list of chat messages, optionally
constrained by a GBNF grammar or a JSON schema. :class:`LlamaCppChatModel` is the real one; tests
use a scripted fake with the same interface.

The pipeline keeps its prompts in one growing conversation (profile, then selection, then each
explanation), so llama.cpp's prefix cache evaluates only the new tokens of each step.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import ModelLoadError, ModelNotFoundError
from .models import default_gguf_path

__all__ = ["ChatModel", "Constraint", "LlamaCppChatModel", "load_chat_model"]

log = logging.getLogger(__name__)

Message = dict[str, str]


@dataclass(frozen=True)
class Constraint:
    """What the decoder may produce: a GBNF grammar or a JSON schema (not both)."""

    grammar: str | None = None
    json_schema: dict | None = None


class ChatModel(Protocol):
    """Anything that can stream a chat reply."""

    name: str

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        constraint: Constraint | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text piece by piece (greedy decoding)."""
        ...


class LlamaCppChatModel:
    """A GGUF model loaded once and shared; calls are serialised with a lock."""

    def __init__(self, model_path: Path, threads: int, context_tokens: int) -> None:
        from llama_cpp import Llama

        if not model_path.is_file():
            raise ModelNotFoundError(
                f"No model file at {model_path}. Set RECOMMENDER_MODEL_PATH to a .gguf file, "
                "or unset it to use the bundled SmolLM2-135M-Instruct."
            )
        try:
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
        self._lock = threading.Lock()

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's vocabulary."""
        return len(self._llama.tokenize(text.encode(), add_bos=False, special=True))

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        constraint: Constraint | None = None,
    ) -> Iterator[str]:
        from llama_cpp import LlamaGrammar

        grammar = None
        if constraint and constraint.grammar:
            grammar = LlamaGrammar.from_string(constraint.grammar, verbose=False)
        elif constraint and constraint.json_schema:
            grammar = LlamaGrammar.from_json_schema(json.dumps(constraint.json_schema),
                                                    verbose=False)
        with self._lock:
            chunks = self._llama.create_chat_completion(
                messages=list(messages),
                max_tokens=max_tokens,
                temperature=0.0,
                stream=True,
                grammar=grammar,
            )
            for chunk in chunks:
                text = chunk["choices"][0]["delta"].get("content")
                if text:
                    yield text


def load_chat_model(model_path: Path | None, threads: int, context_tokens: int) -> LlamaCppChatModel:
    """The model named by the settings, or the bundled SmolLM2 when none is named."""
    path = model_path or default_gguf_path()
    log.info("loading LLM from %s", path)
    return LlamaCppChatModel(path, threads=threads, context_tokens=context_tokens)
