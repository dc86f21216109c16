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
from collections.abc import Callable, Collection, Iterator, Sequence

from recommender.models.chat import ChatModel, Message, Reply, stream_replies

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

    def stream(self, messages: Sequence[Message], max_tokens: int, step: str,
               json_schema: dict | None = None, prefix: str = "",
               stop: Sequence[str] = (), avoid: Sequence[str] = (),
               no_repeats: bool = False, only_words: Collection[str] = (),
               quoted_words: Collection[str] | None = None) -> Iterator[str]:
        """The model's reply piece by piece; nothing once the model has failed. A failure
        ends the reply where it happened: check ``failed`` before using what came."""
        yield from self._guarded(step, lambda: self.model.stream(
            messages, max_tokens, json_schema=json_schema, prefix=prefix, stop=stop,
            avoid=avoid, no_repeats=no_repeats, only_words=only_words,
            quoted_words=quoted_words))

    def stream_many(self, messages: Sequence[Message], max_tokens: int, step: str,
                    replies: Sequence[Reply]) -> Iterator[tuple[int, str | None]]:
        """Several replies to the same messages (``stream_replies``), guarded as ``stream``."""
        yield from self._guarded(step, lambda: stream_replies(self.model, messages, max_tokens,
                                                              replies))

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

    def ask(self, step: str, request: str, max_tokens: int, json_schema: dict | None = None,
            prefix: str = "", stop: Sequence[str] = (), avoid: Sequence[str] = (),
            no_repeats: bool = False, only_words: Collection[str] = (),
            quoted_words: Collection[str] | None = None) -> Iterator[str]:
        """Stream the reply to ``request`` (a rendered template) after the conversation so far;
        the conversation itself is not changed (see ``extend``)."""
        messages = [*self.messages, {"role": "user", "content": request}]
        yield from self.model.stream(messages, max_tokens, step, json_schema=json_schema,
                                     prefix=prefix, stop=stop, avoid=avoid,
                                     no_repeats=no_repeats, only_words=only_words,
                                     quoted_words=quoted_words)

    def ask_many(self, step: str, request: str, max_tokens: int,
                 replies: Sequence[Reply]) -> Iterator[tuple[int, str | None]]:
        """Stream several replies to ``request`` after the conversation so far, decoded
        together where the model can: ``(index, piece)``."""
        messages = [*self.messages, {"role": "user", "content": request}]
        yield from self.model.stream_many(messages, max_tokens, step, replies)

    def extend(self, request: str, reply: str) -> None:
        """Keep a step's request and the reply it got, for the steps after it."""
        self.messages += [{"role": "user", "content": request},
                          {"role": "assistant", "content": reply}]

