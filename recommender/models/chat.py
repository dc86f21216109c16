"""The chat-model interface every backend implements, and what all backends share: the chat
template layout, the compact selection grammar, and neutralising control-token text.

One small interface, :class:`ChatModel`: ``generate`` the replies to frozen :class:`Request`
objects (chat messages, a token limit, a fixed start, stop strings, a JSON schema, the decoding
:class:`Guards` as data); each backend declares its :class:`Capabilities` instead of being
probed. The backends are ``llama_cpp.LlamaCppChatModel`` (in process) and
``server.ServerChatModel`` (an OpenAI-compatible server); tests use a scripted fake with the
same interface, and ``tests/contracts`` holds all three to the same behaviour.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from recommender.vocabulary import STOPWORDS

__all__ = ["ChatModel", "Capabilities", "GoOn", "Guards", "NO_GUARDS", "GUARD_KINDS", "Message",
           "ModelTimeoutError", "Request", "complete", "stream", "one_after_another", "all_at_once",
           "unapplied",
           "compact_grammar", "repeatable_words", "CHATML", "chat_formatter", "neutralized"]

Message = dict[str, str]


_CONTROL_TEXT = re.compile(r"<(\|?[A-Za-z_/][\w/.:-]{0,40}\|?)>")


def neutralized(messages: Sequence[Message]) -> list[Message]:
    """The messages with anything shaped like a control token (``<|im_end|>``,
    ``<|start_header_id|>``, ``<filename>``) turned into look-alike text (``‹|im_end|›``).

    Prompts hold text that users control: uploaded catalogs, an edited profile, messages. The
    prompt is tokenized with special tokens on, so that the chat template's markers work; without
    this, a catalog title could close the turn and open a system message of its own."""
    return [{**m, "content": _CONTROL_TEXT.sub(r"‹\1›", m.get("content", ""))} for m in messages]


_FINISHED_WORD = re.compile(r"[A-Za-z]{3,}(?=[^A-Za-z])")
"""A word of three letters or more that something other than a letter follows: finished."""


def repeatable_words(text: str) -> set[str]:
    """The finished content words of ``text``, in lower case: the ones ``no_repeats`` keeps
    from being written twice (not "and", "with", "the": those may come back)."""
    return {w for w in (m.group().lower() for m in _FINISHED_WORD.finditer(text))
            if w not in STOPWORDS}


class ModelTimeoutError(TimeoutError):
    """A model call ran past ``RECOMMENDER_LLM_TIMEOUT_S``; the turn goes on without it."""


GUARD_KINDS = ("avoid", "no_repeats", "only_words", "quoted_words", "go_on")
"""The decoding guards a request may ask for, by the names of their ``Guards`` fields."""


@dataclass(frozen=True)
class GoOn:
    """A reply that may not end before it names one of ``names`` (normalised words, as
    ``vocabulary.normalize`` writes them): where the model would end it (a full stop, a
    newline, the end of its turn), ``text`` is written instead, once, and the model goes on
    from there. An explanation line silent on the pick's own fact goes on with "; this one"
    (``core.explanation``), in the same decoding steps as the other lines."""

    names: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Guards:
    """What decoding keeps a reply from writing, as data; the word lists come from the core
    (``core.grounding``), and a backend turns them into its own filters where it can
    (``Capabilities.guards``). The grounding check reads every reply either way.

    ``avoid``: words the reply should not use (the explanation's guard). ``no_repeats``: a
    content word the reply has written (``repeatable_words``) is not written again (the
    profile's guard). ``only_words``, when given: every word of three letters or more the reply
    writes, read as the grounding checker reads words, is one of them (the product profile's
    vocabulary guard, ``word_guard``). ``quoted_words``, when given: what the reply puts in
    quotation marks (“nail”) is only these words; empty, it opens no quotation. ``go_on``: where
    the reply may not end yet (``GoOn``)."""

    avoid: tuple[str, ...] = ()
    no_repeats: bool = False
    only_words: frozenset[str] = frozenset()
    quoted_words: frozenset[str] | None = None
    go_on: GoOn | None = None

    def __post_init__(self) -> None:  # callers may pass any collection; the request keeps it fixed
        object.__setattr__(self, "avoid", tuple(self.avoid))
        object.__setattr__(self, "only_words", frozenset(self.only_words))
        if self.quoted_words is not None:
            object.__setattr__(self, "quoted_words", frozenset(self.quoted_words))

    @property
    def kinds(self) -> frozenset[str]:
        """The guards this asks for (of ``GUARD_KINDS``)."""
        asked = {"avoid": bool(self.avoid), "no_repeats": self.no_repeats,
                 "only_words": bool(self.only_words),
                 "quoted_words": self.quoted_words is not None, "go_on": self.go_on is not None}
        return frozenset(kind for kind, on in asked.items() if on)


NO_GUARDS = Guards()


@dataclass(frozen=True)
class Request:
    """One reply to generate (greedy decoding): the chat ``messages``; at most ``max_tokens``;
    ``prefix``, the start of the reply, already decided (the model continues after it and it is
    not yielded again); ``stop``, strings the reply ends before; ``json_schema``, a constraint on
    decoding (llama.cpp turns it into a grammar, so the reply cannot break it); ``guards``, what
    decoding keeps it from writing. Generation also ends at the end-of-turn token."""

    messages: tuple[Message, ...]
    max_tokens: int
    prefix: str = ""
    stop: tuple[str, ...] = ()
    json_schema: Mapping | None = None
    guards: Guards = NO_GUARDS

    def __post_init__(self) -> None:
        object.__setattr__(self, "messages", tuple(self.messages))
        object.__setattr__(self, "stop", tuple(self.stop))


@dataclass(frozen=True)
class Capabilities:
    """What a backend does with a request, declared rather than probed: the ``guards`` it
    applies while decoding (of ``GUARD_KINDS``; the rest it cannot, and says so), and whether it
    decodes several requests ``together`` (one batch per step) or one after another."""

    guards: frozenset[str] = frozenset()
    together: bool = False


class ChatModel(Protocol):
    """Anything that can generate chat replies."""

    name: str
    capabilities: Capabilities

    def generate(self, requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        """Each request's reply as ``(index, piece)``, and ``(index, None)`` once that reply is
        finished: decoded together where the backend can (a turn's explanation lines as parallel
        sequences of one llama.cpp batch), else one after another. Either way a reply's pieces
        come in order, and a reply reads the same as it would alone."""
        ...

    def option_scores(self, messages: Sequence[Message], prefix: str,
                      options: Sequence[str]) -> list[float]:
        """Log-probabilities, normalised over ``options``, of each option's first token as the
        next token after ``prefix``: one forward pass, no generation (LlamaRec's verbalizer)."""
        ...

    def warm_up(self) -> None:
        """Build now what a first request would otherwise wait for (nothing, for some)."""
        ...


def stream(model: ChatModel, request: Request) -> Iterator[str]:
    """One request's reply, piece by piece."""
    for _, piece in model.generate([request]):
        if piece:
            yield piece


def complete(model: ChatModel, request: Request) -> str:
    """One request's whole reply."""
    return "".join(stream(model, request))


def one_after_another(stream_one: Callable[[Request], Iterator[str]],
                      requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
    """``ChatModel.generate`` for a backend that decodes one request at a time."""
    for index, request in enumerate(requests):
        for piece in stream_one(request):
            yield index, piece
        yield index, None


def all_at_once(stream_one: Callable[[Request], Iterator[str]],
                requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
    """``ChatModel.generate`` for a backend that schedules requests itself (a server with
    parallel slots): every request streams at once, each in its own thread, and the pieces
    come out as they arrive. The first request that fails raises here once the others have
    stopped; a reader that stops early makes the rest stop at their next piece."""
    if len(requests) <= 1:
        yield from one_after_another(stream_one, requests)
        return
    pieces: queue.Queue = queue.Queue()
    stop = threading.Event()
    failed: _Done | None = None

    def run(index: int, request: Request) -> None:
        try:
            for piece in stream_one(request):
                if stop.is_set():
                    break
                pieces.put((index, piece))
            pieces.put(_Done(index))
        except BaseException as exc:  # handed to the reader's thread
            pieces.put(_Done(index, exc))

    threads = [threading.Thread(target=run, args=(i, r), daemon=True)
               for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = pieces.get()
            if isinstance(item, _Done):
                running -= 1
                if item.error is not None:
                    failed = failed or item
                    stop.set()
                elif failed is None:
                    yield item.index, None
            elif failed is None:
                yield item
    finally:
        stop.set()
    if failed is not None:
        raise failed.error


@dataclass(frozen=True)
class _Done:
    index: int
    error: BaseException | None = None


def unapplied(capabilities: Capabilities, requests: Sequence[Request]) -> frozenset[str]:
    """The guards ``requests`` ask for that a backend with ``capabilities`` cannot apply."""
    asked = frozenset().union(*(r.guards.kinds for r in requests))
    return asked - capabilities.guards


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


CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)




def chat_formatter(template: str, eos: str, bos: str):
    """A Jinja chat template compiled once: ``formatter(messages=...).prompt`` lays out a
    conversation and opens the assistant's turn."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos,
                               add_generation_prompt=True)
