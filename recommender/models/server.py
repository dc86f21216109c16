"""The LLM behind an OpenAI-compatible server (``python -m llama_cpp.server``, llama.cpp's
``llama-server``, vLLM), with the same :class:`~recommender.llm.ChatModel` interface as the
in-process model.

The pipeline writes the start of each answer itself (a fixed opening the model continues), which
the chat endpoint cannot express portably, so this uses the text-completion endpoint
(``/completions``) with the prompt laid out by the model's chat template here: the server's own
when it publishes one (llama.cpp's ``/props``), a template file named by the settings, or ChatML.

The candidate-list constraint travels as a GBNF grammar (llama.cpp servers) or a JSON schema
(vLLM's ``guided_json`` and ``structured_outputs``), as the settings say; whichever is used, the
pipeline checks every answer against the candidate list, so a server that ignores both still
cannot put an item outside it on the screen.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from recommender.errors import ModelServerError
from recommender.models.chat import (
    CHATML,
    Capabilities,
    Message,
    ModelTimeoutError,
    Request,
    chat_formatter,
    compact_grammar,
    all_at_once,
    neutralized,
    one_after_another,
    unapplied,
)
from recommender.settings import LLM_SERVER_CONSTRAINTS as CONSTRAINTS

__all__ = ["ServerChatModel", "CONSTRAINTS"]

log = logging.getLogger(__name__)

_CHATML_END = "<|im_end|>"
_CONNECT_TIMEOUT_S = 5.0


class ServerChatModel:
    """Chat replies from an OpenAI-compatible server's ``/completions`` endpoint. Calls are
    not serialised here: the server schedules them (llama.cpp over its slots, vLLM in
    batches)."""

    capabilities = Capabilities()
    """No decoding guard: a server tokenizes on its side (an OpenAI-style ``logit_bias`` needs
    its token ids), and the other guards read the reply as it grows, which a server does not
    let a client do. Each kind asked for is said once, in the log; the grounding check reads
    every reply either way. A turn's requests (its explanation lines) go one after another, so
    a llama.cpp server reads their shared prompt once, in one slot; with ``at_once`` they are
    sent together, for a server whose parallel slots cost little (a GPU)."""

    def __init__(self, url: str, model: str = "", constraint: str = "grammar",
                 template: Path | None = None, timeout_s: float = 60.0,
                 transport: httpx.BaseTransport | None = None, at_once: bool = False) -> None:
        if constraint not in CONSTRAINTS:
            raise ModelServerError(f"RECOMMENDER_LLM_SERVER_CONSTRAINT={constraint!r}: use one "
                                   f"of {', '.join(CONSTRAINTS)}.")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelServerError(f"RECOMMENDER_LLM_SERVER_URL={url!r} is not an http(s) "
                                   "address; write it like http://localhost:8080/v1.")
        self.url = url.rstrip("/")
        self.constraint = constraint
        self.timeout_s = timeout_s
        self._schedule = all_at_once if at_once else one_after_another
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=_CONNECT_TIMEOUT_S), transport=transport)
        self._model = model or self._served_model()
        self.name = f"{self._model} at {self.url}"
        template_text, self._end_of_turn, bos = self._chat_template(template)
        self._formatter = chat_formatter(template_text, self._end_of_turn, bos)
        self._said: set[str] = set()  # the guards it has said it cannot apply

    # -- start-up checks ------------------------------------------------------------------------

    def _served_model(self) -> str:
        """The first model the server lists; also proves that it answers."""
        data = self._get_json(f"{self.url}/models", what="its model list")
        models = [m.get("id") for m in data.get("data", []) if isinstance(m, dict)]
        if not models or not models[0]:
            raise ModelServerError(
                f"The LLM server at {self.url} lists no model. Start it with a model, or name "
                "one with RECOMMENDER_LLM_SERVER_MODEL.")
        return str(models[0])

    def _chat_template(self, path: Path | None) -> tuple[str, str, str]:
        """(Jinja template, end-of-turn text, BOS text) for laying out prompts."""
        if path is not None:
            try:
                return path.read_text(encoding="utf-8"), "", ""
            except (OSError, UnicodeDecodeError) as exc:
                raise ModelServerError(
                    f"RECOMMENDER_LLM_SERVER_TEMPLATE={path} cannot be read ({exc}); point it "
                    "at a Jinja chat template file, or unset it.") from exc
        parts = urlsplit(self.url)
        props = urlunsplit((parts.scheme, parts.netloc, "/props", "", ""))
        try:
            response = self._client.get(props)
            data = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            data = {}
        template = data.get("chat_template") if isinstance(data, dict) else None
        if isinstance(template, str) and template.strip():
            log.info("LLM server: using its own chat template")
            return template, str(data.get("eos_token") or ""), str(data.get("bos_token") or "")
        log.info("LLM server publishes no chat template: laying out prompts as ChatML")
        return CHATML, _CHATML_END, ""

    def _get_json(self, url: str, what: str) -> dict:
        try:
            response = self._client.get(url)
            response.raise_for_status()
            data = response.json()
        except httpx.HTTPStatusError as exc:
            raise ModelServerError(
                f"The LLM server at {self.url} answered {exc.response.status_code} when asked "
                f"for {what}. Check RECOMMENDER_LLM_SERVER_URL: it is the base URL, usually "
                "ending in /v1.") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise ModelServerError(
                f"The LLM server at {self.url} does not answer ({exc}). Start it (for example "
                "python -m llama_cpp.server --model FILE.gguf --port 8080), or unset "
                "RECOMMENDER_LLM_SERVER_URL to run the model in this process.") from exc
        if not isinstance(data, dict):
            raise ModelServerError(f"The LLM server at {self.url} sent {what} that is not a JSON "
                                   "object; is it an OpenAI-compatible server?")
        return data

    # -- ChatModel --------------------------------------------------------------------------------

    def prompt(self, messages: Sequence[Message], prefix: str = "") -> str:
        """The text the server continues: the messages in the chat template, then ``prefix``."""
        return self._formatter(messages=neutralized(messages)).prompt + prefix

    def generate(self, requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        for kind in sorted(unapplied(self.capabilities, requests) - self._said):
            self._said.add(kind)
            log.warning("The LLM server cannot apply the %r decoding guard; replies are "
                        "checked for grounding after they are written.", kind)
        yield from self._schedule(self._stream, requests)

    def warm_up(self) -> None:
        """Nothing to build: the server has its model loaded."""

    def _stream(self, request: Request) -> Iterator[str]:
        messages, prefix, stop = request.messages, request.prefix, request.stop
        max_tokens, json_schema = request.max_tokens, request.json_schema
        body: dict = {"model": self._model, "prompt": self.prompt(messages, prefix),
                      "max_tokens": max_tokens, "temperature": 0.0, "stream": True,
                      "stop": [*stop, *([self._end_of_turn] if self._end_of_turn else [])]}
        if json_schema is not None:
            body.update(self._constraint(json_schema))
        deadline = time.monotonic() + self.timeout_s
        try:
            with self._client.stream("POST", f"{self.url}/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise ModelServerError(
                        f"The LLM server at {self.url} refused the request "
                        f"({response.status_code}: {response.text[:200]}).")
                for line in response.iter_lines():
                    if time.monotonic() > deadline:
                        raise ModelTimeoutError(f"no answer within {self.timeout_s:g} s")
                    text = _sse_text(line)
                    if text is None:
                        break
                    if text:
                        yield text
        except httpx.TimeoutException as exc:
            raise ModelTimeoutError(f"no answer within {self.timeout_s:g} s") from exc
        except httpx.HTTPError as exc:
            raise ModelServerError(f"The LLM server at {self.url} failed mid-answer "
                                   f"({exc}).") from exc

    def option_scores(self, messages: Sequence[Message], prefix: str,
                      options: Sequence[str]) -> list[float]:
        raise ModelServerError(
            "The verbalizer scores options from next-token log-probabilities, which "
            "OpenAI-compatible servers do not report reliably; run it with a local GGUF "
            "(unset RECOMMENDER_LLM_SERVER_URL).")

    def _constraint(self, schema) -> dict:
        if self.constraint == "grammar":
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            return {"grammar": compact_grammar(schema) or json_schema_to_gbnf(json.dumps(dict(schema)))}
        if self.constraint == "json_schema":
            return {"guided_json": dict(schema), "structured_outputs": {"json": dict(schema)}}
        return {}


def _sse_text(line: str) -> str | None:
    """The text in one server-sent-events line; ``None`` at the end of the stream."""
    if not line.startswith("data:"):
        return ""
    payload = line[len("data:"):].strip()
    if payload == "[DONE]":
        return None
    try:
        choices = json.loads(payload).get("choices") or [{}]
    except (ValueError, AttributeError):
        return ""
    return str(choices[0].get("text") or "")
