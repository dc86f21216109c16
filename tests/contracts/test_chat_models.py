"""The chat-model contract, held against the scripted fake the unit tests use, the llama.cpp
model in process and the same model behind the OpenAI-compatible server: replies stream as
text, end before a stop string, obey a selection schema, and continue a prefix without
repeating it. The pipeline relies on each of these."""

from __future__ import annotations

import json

import pytest

from recommender.core.selection import selection_schema
from recommender.models.chat import GUARD_KINDS, ChatModel, Request, complete, stream

from ..fakes import ScriptedModel, pick_reversed

MESSAGES = [{"role": "system", "content": "You recommend movies. Answer in one line."},
            {"role": "user", "content": "Describe the taste of someone who loved Alien and "
                                        "Blade Runner, then list two films, one per line."}]
PREFIX = "You enjoy movies with"


def _scripted() -> ScriptedModel:
    """The fake, given replies shaped like the real model's."""
    text = " dark science fiction and slow, moody worlds.\nAliens\nThe Matrix"

    def reply(call) -> str:
        return pick_reversed(2)(call) if call.json_schema else text

    return ScriptedModel([reply] * 4)


@pytest.fixture(params=["scripted", "llama_cpp", "server"])
def chat_model(request) -> ChatModel:
    if request.param == "scripted":
        return _scripted()
    if request.param == "llama_cpp":
        return request.getfixturevalue("real").model
    from recommender.models.server import ServerChatModel

    _chroma, llm_url = request.getfixturevalue("servers")
    return ServerChatModel(llm_url)


def test_a_reply_streams_as_pieces_of_text(chat_model):
    pieces = list(stream(chat_model, Request(MESSAGES, 12)))
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip()


def test_a_reply_ends_before_its_stop_string(chat_model):
    reply = complete(chat_model, Request(MESSAGES, 40, stop=("\n",)))
    assert "\n" not in reply


def test_a_schema_constrains_the_reply_to_the_candidates(chat_model):
    reply = complete(chat_model, Request(MESSAGES, 24, json_schema=selection_schema(5, 2)))
    picks = json.loads(reply)["picks"]
    assert len(picks) == 2 and all(isinstance(p, int) and 1 <= p <= 5 for p in picks)


def test_a_prefix_is_continued_not_repeated(chat_model):
    reply = complete(chat_model, Request(MESSAGES, 12, prefix=PREFIX, stop=("\n",)))
    assert reply.strip() and not reply.lstrip().startswith(PREFIX)


def test_several_requests_each_finish_once_with_their_own_text(chat_model):
    requests = [Request(MESSAGES, 10, prefix=PREFIX, stop=("\n",)), Request(MESSAGES, 6)]
    texts, finished = ["", ""], []
    for index, piece in chat_model.generate(requests):
        assert index in (0, 1) and index not in finished
        if piece is None:
            finished.append(index)
        else:
            texts[index] += piece
    assert sorted(finished) == [0, 1] and all(t.strip() for t in texts)
    assert "\n" not in texts[0]
    if chat_model.capabilities.together:  # decoded in one batch: as each would read alone
        assert texts[0] == complete(chat_model, requests[0])


def test_a_backend_declares_only_guards_there_are(chat_model):
    assert chat_model.capabilities.guards <= frozenset(GUARD_KINDS)
