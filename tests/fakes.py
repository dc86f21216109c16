"""Deterministic fakes of the LLM and the embedder. They live only in tests."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from recommender.llm import Constraint
from recommender.text import normalize


Reply = str | Exception | Callable[[list[dict], Constraint | None], str]


def pick_reversed(count: int) -> Callable[[list[dict], Constraint | None], str]:
    """A selection reply choosing the last ``count`` candidates of the enum, last first."""

    def reply(messages, constraint):
        enum = constraint.json_schema["properties"]["ids"]["items"]["enum"]
        return json.dumps({"ids": list(reversed(enum))[:count]})

    return reply


class ScriptedModel:
    """Replies with queued texts, in order; an ``Exception`` in the queue is raised instead.

    Replies are checked against the constraint the way a grammar would enforce it: a JSON-schema
    enum rejects ids outside the list, a GBNF literal opening must be the reply's start.
    """

    name = "scripted"

    def __init__(self, replies: Sequence[Reply] = ()) -> None:
        self.replies: list[Reply] = list(replies)
        self.calls: list[tuple[list[dict], int, Constraint | None]] = []

    def enqueue(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def stream(self, messages, max_tokens, constraint=None) -> Iterator[str]:
        self.calls.append((list(messages), max_tokens, constraint))
        if not self.replies:
            raise AssertionError("ScriptedModel ran out of replies")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            reply = reply(messages, constraint)
        _check_constraint(reply, constraint)
        for word in re.findall(r"\S+\s*", reply):
            yield word


def _check_constraint(reply: str, constraint: Constraint | None) -> None:
    if constraint is None:
        return
    if constraint.json_schema:
        enum = constraint.json_schema["properties"]["ids"]["items"]["enum"]
        try:
            ids = json.loads(reply)["ids"]
        except (ValueError, KeyError):
            return  # a broken reply; the pipeline must cope
        assert all(i in enum for i in ids), "a grammar would never produce an id outside the enum"
    if constraint.grammar:
        opening = json.loads(constraint.grammar.split("::=", 1)[1].strip().split(" body")[0])
        assert reply.startswith(opening), f"grammar forces the opening {opening!r}"


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
