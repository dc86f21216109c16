"""One way to prompt the model in a turn: a guarded model and the growing prompt conversation.

:class:`GuardedModel` records the first failure of a turn (the model raised or timed out) and
refuses every call after it, so a stage asks, reads ``failed``, and returns a value; none of
them copies the failure handling. :class:`PromptConversation` owns the turn's chat: the system
message, then each step's request and the model's reply. Every request is rendered once from its
template in ``prompts/``; every prompt starts with the previous one, so llama.cpp's prefix cache
evaluates only the new tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from recommender.models.chat import NO_GUARDS, ChatModel, Guards, Message, Request, stream

__all__ = ["GuardedModel", "PromptConversation", "describe_failure"]

log = logging.getLogger(__name__)


def describe_failure(exc: BaseException) -> str:
    """A short account of a model call that failed, for the turn's notice."""
    if isinstance(exc, TimeoutError):
        return str(exc) or "it took too long"
    return f"{type(exc).__name__}: {exc}"[:200]


class GuardedModel:
    """A chat model for one turn: the first call that fails is recorded (``failure``) and no
    call is made after it; the turn goes on without the model."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model
        self.error: Exception | None = None
        self.failure: str | None = None
        """Why the model gave no usable answer (``describe_failure``), once it failed."""

    @property
    def failed(self) -> bool:
        return self.failure is not None

    def generate(self, step: str,
                 requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        """The model's replies as ``(index, piece)`` (``ChatModel.generate``); nothing once the
        model has failed. A failure ends the replies where it happened: check ``failed``
        before using what came."""
        yield from self._guarded(step, lambda: self.model.generate(requests))

    def stream(self, step: str, request: Request) -> Iterator[str]:
        """One request's reply piece by piece, guarded as ``generate``."""
        yield from self._guarded(step, lambda: stream(self.model, request))

    def _guarded(self, step: str, call: Callable[[], Iterator]) -> Iterator:
        """What ``call()`` yields, unless the model has failed; a failure is recorded here."""
        if self.failed:
            return
        try:
            yield from call()
        except Exception as exc:  # the model failing must not end the turn
            log.exception("%s step failed", step)
            self.error, self.failure = exc, describe_failure(exc)


class PromptConversation:
    """The chat a turn builds up: a system message, then a request and a reply per step."""

    def __init__(self, model: GuardedModel, system: str) -> None:
        self.model = model
        self.messages: list[Message] = [{"role": "system", "content": system}]

    def request(self, text: str, max_tokens: int, prefix: str = "", stop: Sequence[str] = (),
                json_schema: dict | None = None, guards: Guards = NO_GUARDS) -> Request:
        """The request for a reply to ``text`` (a rendered template) after the conversation so
        far; the conversation itself is not changed (see ``extend``)."""
        return Request((*self.messages, {"role": "user", "content": text}), max_tokens,
                       prefix=prefix, stop=tuple(stop), json_schema=json_schema, guards=guards)

    def ask(self, step: str, text: str, max_tokens: int, prefix: str = "",
            stop: Sequence[str] = (), json_schema: dict | None = None,
            guards: Guards = NO_GUARDS) -> Iterator[str]:
        """Stream the reply to ``text`` after the conversation so far (``request``)."""
        yield from self.model.stream(step, self.request(text, max_tokens, prefix, stop,
                                                        json_schema, guards))

    def ask_many(self, step: str,
                 requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        """Stream several replies (each from ``request``), decoded together where the model
        can: ``(index, piece)``, and ``(index, None)`` when a reply is finished."""
        yield from self.model.generate(step, requests)

    def extend(self, request: str, reply: str) -> None:
        """Keep a step's request and the reply it got, for the steps after it."""
        self.messages += [{"role": "user", "content": request},
                          {"role": "assistant", "content": reply}]

