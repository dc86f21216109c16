"""The local LLM: llama-cpp-python running a GGUF file on the CPU.

One small interface, :class:`ChatModel`: stream the reply to a list of chat messages, optionally
constrained by a JSON schema and started with a fixed prefix. :class:`LlamaCppChatModel` is the real one; tests
use a scripted fake with the same interface.

The pipeline keeps its prompts in one growing conversation (profile, then selection, then each
explanation), so llama.cpp's prefix cache evaluates only the new tokens of each step.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from .errors import ModelLoadError, ModelNotFoundError
from .models import default_gguf_path

__all__ = ["ChatModel", "LlamaCppChatModel", "ModelTimeoutError", "compact_grammar", "load_chat_model",
           "CHATML", "chat_formatter", "neutralized", "serve"]

log = logging.getLogger(__name__)

Message = dict[str, str]


_CONTROL_TEXT = re.compile(r"<(\|?[A-Za-z_/][\w/.:-]{0,40}\|?)>")


def neutralized(messages: Sequence[Message]) -> list[Message]:
    """The messages with anything shaped like a control token (``<|im_end|>``,
    ``<|start_header_id|>``, ``<filename>``) turned into look-alike text (``‹|im_end|›``).

    Prompts hold text that users control: uploaded catalogs, an edited profile, messages. The
    prompt is tokenized with special tokens on, so that the chat template's markers work; without
    this, a catalog title could close the turn and open a system message of its own."""
    return [{**m, "content": _CONTROL_TEXT.sub(r"‹\1›", m.get("content", ""))} for m in messages]


class ModelTimeoutError(TimeoutError):
    """A model call ran past ``RECOMMENDER_LLM_TIMEOUT_S``; the turn goes on without it."""


class ChatModel(Protocol):
    """Anything that can stream a chat reply."""

    name: str

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        json_schema: dict | None = None,
        prefix: str = "",
        stop: Sequence[str] = (),
    ) -> Iterator[str]:
        """Yield the assistant's reply piece by piece (greedy decoding).

        ``json_schema`` constrains decoding (llama.cpp turns it into a grammar), so the reply
        cannot break it. ``prefix`` is the start of the reply, already decided: the model continues after it and
        it is not yielded again. Generation ends at the end-of-turn token, at ``max_tokens``, or
        before any string in ``stop``.
        """
        ...

    def option_scores(self, messages: Sequence[Message], prefix: str,
                      options: Sequence[str]) -> list[float]:
        """Log-probabilities, normalised over ``options``, of each option's first token as the
        next token after ``prefix``: one forward pass, no generation (LlamaRec's verbalizer)."""
        ...


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
            with _without_amx_repacking():
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


def compact_grammar(schema: dict) -> str | None:
    """GBNF for ``{"key": [v, ...]}`` with exactly N values from an enum, and no whitespace.

    llama.cpp's general converter allows optional spaces and newlines, which a small model
    spends tokens on; this shape is all selection needs. Other schemas get ``None``.
    """
    properties = schema.get("properties", {})
    if schema.get("type") != "object" or len(properties) != 1:
        return None
    ((key, spec),) = properties.items()
    values = spec.get("items", {}).get("enum")
    count = spec.get("minItems")
    if spec.get("type") != "array" or not values or count is None or count != spec.get("maxItems") \
            or count < 1 or schema.get("required") != [key]:
        return None
    head = json.dumps(json.dumps({key: []}, separators=(",", ":"))[:-2])  # the literal {"key":[
    more = f' ("," value){{{count - 1}}}' if count > 1 else ""
    alternatives = " | ".join(json.dumps(json.dumps(v)) for v in values)
    return f'root ::= {head} value{more} "]}}"\nvalue ::= {alternatives}\n'


@contextmanager
def _without_amx_repacking() -> Iterator[None]:
    """Load weights without llama.cpp's AMX buffers when the build uses AMX.

    A native build on a Xeon with AMX repacks weights for AMX tiles; on the virtual machines we
    run on, the first decode with those buffers crashes the process (SIGSEGV). Plain CPU buffers
    work everywhere; for the default Q4_1 model they cost nothing, as AMX is its only repacking.
    """
    import llama_cpp.llama_cpp as low

    if "AMX_INT8 = 1" not in low.llama_print_system_info().decode(errors="replace"):
        yield
        return
    with _LOAD_LOCK:
        original = low.llama_model_default_params

        def params_without_extra_buffers():
            params = original()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = params_without_extra_buffers
        try:
            log.info("llama.cpp was built with AMX: loading without extra buffer types")
            yield
        finally:
            low.llama_model_default_params = original


_LOAD_LOCK = threading.Lock()
CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def _chat_formatter(llama):
    """The GGUF's own chat template (ChatML when it has none) and its end-of-turn text."""
    template = llama.metadata.get("tokenizer.chat_template") or CHATML
    eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", errors="ignore")
    bos = llama.detokenize([llama.token_bos()], special=True).decode("utf-8", errors="ignore")
    return chat_formatter(template, eos, bos), eos or "<|im_end|>"


def chat_formatter(template: str, eos: str, bos: str):
    """A Jinja chat template compiled once: ``formatter(messages=...).prompt`` lays out a
    conversation and opens the assistant's turn."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos,
                               add_generation_prompt=True)


def load_chat_model(model_path: Path | None, threads: int, context_tokens: int,
                    timeout_s: float = 60.0) -> LlamaCppChatModel:
    """The model named by the settings, or the bundled SmolLM2 when none is named."""
    path = model_path or default_gguf_path()
    log.info("loading LLM from %s", path)
    return LlamaCppChatModel(path, threads=threads, context_tokens=context_tokens,
                             timeout_s=timeout_s)


def serve(argv: Sequence[str]) -> None:
    """``python -m llama_cpp.server`` with two differences: ``--model`` defaults to the bundled
    SmolLM2, and weights load without AMX buffers where this build would use them (the
    crash ``_without_amx_repacking`` avoids takes the server down on its first answer too)."""
    import sys

    from llama_cpp.server.__main__ import main

    args = list(argv)
    if not any(a == "--model" or a.startswith("--model=") or a == "--config_file" for a in args):
        args = ["--model", str(default_gguf_path()), *args]
    sys.argv = ["llama_cpp.server", *args]
    try:
        with _without_amx_repacking():
            main()
    except (ValueError, RuntimeError, OSError) as exc:  # the model loads before serving starts
        raise ModelLoadError(
            f"llama_cpp.server could not start ({exc}). Check that --model names a complete "
            "GGUF file, or leave --model out to serve the bundled SmolLM2-135M-Instruct."
        ) from exc
