"""Deterministic fakes of the LLM and the embedder. They live only in tests."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from recommender.models.chat import Capabilities, Request, one_after_another
from recommender.vocabulary import normalize


@dataclass(frozen=True)
class Call:
    messages: list[dict]
    max_tokens: int
    json_schema: dict | None
    prefix: str
    stop: tuple[str, ...]
    avoid: tuple[str, ...] = ()
    no_repeats: bool = False
    only_words: frozenset[str] = frozenset()
    quoted_words: frozenset[str] | None = None

    @classmethod
    def of(cls, request: Request) -> Call:
        guards = request.guards
        return cls(list(request.messages), request.max_tokens, request.json_schema,
                   request.prefix, request.stop, guards.avoid, guards.no_repeats,
                   guards.only_words, guards.quoted_words)


Reply = str | Exception | Callable[[Call], str]


def pick_reversed(count: int) -> Callable[[Call], str]:
    """A selection reply choosing the last ``count`` candidate numbers, last first."""

    def reply(call: Call) -> str:
        enum = call.json_schema["properties"]["picks"]["items"]["enum"]
        return json.dumps({"picks": list(reversed(enum))[:count]})

    return reply


class _OneAtATime:
    """A fake backend's ``ChatModel`` side: no guards applied, requests one after another
    through the subclass's ``_stream``."""

    capabilities = Capabilities()

    def generate(self, requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        return one_after_another(self._stream, requests)

    def warm_up(self) -> None:
        pass

    def _stream(self, request: Request) -> Iterator[str]:
        raise NotImplementedError


class ScriptedModel(_OneAtATime):
    """Replies with queued texts, in order; an ``Exception`` in the queue is raised instead.

    A reply is the continuation after the call's prefix. Like the real model it stops before any
    stop string, and a JSON reply must satisfy the schema's enum, as a grammar would force.
    """

    name = "scripted"

    def __init__(self, replies: Sequence[Reply] = ()) -> None:
        self.replies: list[Reply] = list(replies)
        self.calls: list[Call] = []

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def _stream(self, request: Request) -> Iterator[str]:
        call = Call.of(request)
        stop, json_schema = call.stop, call.json_schema
        self.calls.append(call)
        if not self.replies:
            raise AssertionError("ScriptedModel ran out of replies")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(call)
        for marker in stop:
            reply = reply.split(marker, 1)[0]
        if json_schema is not None:
            _check_schema(reply, json_schema)
        yield from re.findall(r"\s*\S+", reply)


    def option_scores(self, messages, prefix, options) -> list[float]:
        """The next queued reply, which must be one score per option."""
        self.calls.append(Call(list(messages), 1, None, prefix, tuple(options)))
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        assert isinstance(reply, list) and len(reply) == len(options)
        return reply


def _check_schema(reply: str, schema: dict) -> None:
    enum = schema["properties"]["picks"]["items"]["enum"]
    try:
        picks = json.loads(reply)["picks"]
    except (ValueError, KeyError):
        return  # a broken reply; the pipeline must cope
    assert all(p in enum for p in picks), "a grammar never produces a number outside the enum"


class WordHashEmbedder(Embeddings):
    """Bag of words hashed into 64 dimensions, unit length: texts sharing words are close."""

    dimensions = 64

    def _embed(self, text: str) -> list[float]:
        vector = np.zeros(self.dimensions)
        for word in normalize(text).split():
            slot = int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimensions
            vector[slot] += 1.0
        norm = np.linalg.norm(vector)
        return (vector / norm if norm else vector + 1 / np.sqrt(self.dimensions)).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._embed(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._embed(text)


class AnsweringModel(_OneAtATime):
    """Answers any call without a script, for multi-turn tests: a selection takes the first
    numbers it may, a request reading returns ``reading`` (empty by default), and free text
    is ``text``."""

    name = "answering"

    def __init__(self, text: str = " Sci-Fi.", reading: dict | None = None) -> None:
        self.text = text
        self.reading = reading or {"liked": [], "disliked": [], "wanted_genres": [],
                                   "excluded_genres": [], "year_min": None, "year_max": None}
        self.calls: list[Call] = []

    def _stream(self, request: Request) -> Iterator[str]:
        self.calls.append(Call.of(request))
        json_schema = request.json_schema
        if json_schema is None:
            yield self.text
        elif "picks" in json_schema["properties"]:
            picks = json_schema["properties"]["picks"]
            yield json.dumps({"picks": picks["items"]["enum"][: picks["maxItems"]]})
        else:
            yield json.dumps(self.reading)

    def option_scores(self, messages, prefix, options) -> list[float]:
        return [0.0] * len(options)


class TogetherModel(ScriptedModel):
    """A ``ScriptedModel`` that, like the llama.cpp backend, decodes several replies at once
    (``Capabilities.together``): their pieces come interleaved, the last reply's first, and each
    reply is marked finished (``None``) at the end of its own pieces, the last reply first."""

    capabilities = Capabilities(together=True)

    def generate(self, requests: Sequence[Request]) -> Iterator[tuple[int, str | None]]:
        pieces = [list(self._stream(r)) for r in requests]
        queues = [[*p, None] for p in pieces]
        while any(queues):
            for index in reversed(range(len(queues))):
                if queues[index]:
                    yield index, queues[index].pop(0)
