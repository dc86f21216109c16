"""The LLM behind an OpenAI-compatible server and the index in a Chroma server.

The first tests answer over a scripted HTTP transport; the last start the real servers on
loopback (``chroma run`` and ``python -m recommender llm-server``) and hold a conversation
through them, as CI does.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from recommender.conversation.turn import first_answer
from recommender.core.pipeline import Recommender
from recommender.core.selection import selection_schema
from recommender.errors import IndexUnavailableError, ModelServerError, RecommenderError
from recommender.loading import load_domains, load_recommender
from recommender.local_servers import local_servers
from recommender.models.chat import ModelTimeoutError, Request, complete
from recommender.models.server import ServerChatModel
from recommender.vectors.store import open_client

from .catalogs import tiny_movies, tiny_products
from .fakes import WordHashEmbedder
from .real_stack import free_port

URL = "http://llm.test/v1"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]


def _sse(*texts: str) -> bytes:
    lines = [f"data: {json.dumps({'choices': [{'text': t}]})}\n\n" for t in texts]
    return ("".join(lines) + "data: [DONE]\n\n").encode()


class FakeServer:
    """An OpenAI-compatible server as an httpx transport: answers queued texts, keeps bodies."""

    def __init__(self, *answers: str | int, props: dict | None = None) -> None:
        self.answers = list(answers)
        self.bodies: list[dict] = []
        self.props = props

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "smol.gguf"}]})
        if request.url.path == "/props":
            return httpx.Response(200, json=self.props) if self.props else httpx.Response(404)
        assert request.url.path == "/v1/completions"
        self.bodies.append(json.loads(request.content))
        answer = self.answers.pop(0)
        if isinstance(answer, int):
            return httpx.Response(answer, text="model crashed")
        return httpx.Response(200, content=_sse(*answer.split("|")),
                              headers={"content-type": "text/event-stream"})

    def model(self, **options) -> ServerChatModel:
        return ServerChatModel(URL, transport=httpx.MockTransport(self), **options)


def test_the_served_model_is_found_and_prompts_are_laid_out_as_chatml():
    server = FakeServer("Hello| there")
    model = server.model()
    assert model.name == f"smol.gguf at {URL}"
    assert complete(model, Request(MESSAGES, 8, prefix="Well,")) == "Hello there"
    body = server.bodies[0]
    assert body["prompt"] == ("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi"
                              "<|im_end|>\n<|im_start|>assistant\nWell,")
    assert body["model"] == "smol.gguf" and body["temperature"] == 0.0 and body["stream"]
    assert body["stop"] == ["<|im_end|>"] and "grammar" not in body


def test_the_servers_own_template_and_a_template_file_are_used(tmp_path):
    template = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}>"
    server = FakeServer("ok", "ok", props={"chat_template": template, "eos_token": "</s>"})
    complete(server.model(), Request(MESSAGES, 4, stop=("\n",)))
    assert server.bodies[0]["prompt"] == "[system] Be brief.\n[user] Hi\n>"
    assert server.bodies[0]["stop"] == ["\n", "</s>"]
    path = tmp_path / "t.jinja"
    path.write_text("{{ messages[-1].content }}=")
    complete(server.model(template=path), Request(MESSAGES, 4))
    assert server.bodies[1]["prompt"] == "Hi="


def test_the_candidate_constraint_travels_as_grammar_or_json_schema():
    schema = selection_schema(4, 2)
    server = FakeServer('{"picks":[2,3]}', '{"picks":[1,2]}', '{"picks":[9,9]}')
    complete(server.model(), Request(MESSAGES, 16, json_schema=schema))
    assert server.bodies[0]["grammar"].startswith('root ::= "{\\"picks\\":["')
    assert '"4"' in server.bodies[0]["grammar"] and '"5"' not in server.bodies[0]["grammar"]
    complete(server.model(constraint="json_schema"), Request(MESSAGES, 16, json_schema=schema))
    assert server.bodies[1]["guided_json"] == schema
    assert server.bodies[1]["structured_outputs"] == {"json": schema}
    complete(server.model(constraint="none"), Request(MESSAGES, 16, json_schema=schema))
    assert not {"grammar", "guided_json"} & set(server.bodies[2])


def test_a_server_ignoring_the_constraint_cannot_put_anything_outside_the_candidates(settings):
    # Out-of-range numbers and a repeat, as a server without grammar support might answer.
    server = FakeServer(" sci-fi.", '{"picks":[17,2,2]}', " a", " b", " c")
    model = server.model(constraint="none")
    domains = load_domains(replace(settings, domains=("movies",)), WordHashEmbedder(),
                           "word-hash", {"movies": tiny_movies()}, progress=False)
    result = first_answer(Recommender(settings, model, domains), "movies", "Alien, Heat").turn
    picked = [r.item_id for r in result.recommendations]
    assert set(picked) <= set(result.candidates) and len(set(picked)) == len(picked) == 3
    checks = result.to_dict()["checks"]
    assert checks["out_of_candidates"] == 1 and checks["duplicates"] == 1


def test_a_turns_requests_go_to_the_server_at_once():
    """Three replies that can only finish if all three are in flight together (as a server
    with parallel slots decodes them); each comes out whole, ended by ``None``."""
    import threading

    from recommender.models.chat import all_at_once

    together = threading.Barrier(3, timeout=10)

    def stream_one(request: Request):
        together.wait()
        yield from (request.prefix, "!")

    requests = [Request(MESSAGES, 8, prefix=p) for p in "abc"]
    out: dict[int, list] = {0: [], 1: [], 2: []}
    for index, piece in all_at_once(stream_one, requests):
        out[index].append(piece)
    assert out == {0: ["a", "!", None], 1: ["b", "!", None], 2: ["c", "!", None]}

    def failing(request: Request):
        if request.prefix == "b":
            raise ModelServerError("slot lost")
        yield request.prefix

    with pytest.raises(ModelServerError, match="slot lost"):
        list(all_at_once(failing, requests))


def test_a_server_error_or_timeout_ends_in_named_errors():
    server = FakeServer(500)
    with pytest.raises(ModelServerError, match=r"refused the request \(500: model crashed\)"):
        complete(server.model(), Request(MESSAGES, 4))

    def slow(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/completions":
            raise httpx.ReadTimeout("timed out", request=request)
        return FakeServer()(request)

    model = ServerChatModel(URL, transport=httpx.MockTransport(slow), timeout_s=2)
    with pytest.raises(ModelTimeoutError, match="no answer within 2 s"):
        complete(model, Request(MESSAGES, 4))


def test_bad_server_settings_are_refused_at_start_with_the_setting_named(tmp_path):
    with pytest.raises(ModelServerError, match="RECOMMENDER_LLM_SERVER_URL='localhost:8080'"):
        ServerChatModel("localhost:8080")
    with pytest.raises(ModelServerError, match="does not answer.*unset RECOMMENDER_LLM_SERVER_URL"):
        ServerChatModel(f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(ModelServerError, match="RECOMMENDER_LLM_SERVER_TEMPLATE"):
        FakeServer().model(template=tmp_path / "missing.jinja")
    with pytest.raises(ModelServerError, match="log-probabilities"):
        FakeServer().model().option_scores(MESSAGES, "", ["A", "B"])
    with pytest.raises(IndexUnavailableError, match="RECOMMENDER_CHROMA_URL"):
        open_client(tmp_path, "chroma:8000")
    with pytest.raises(IndexUnavailableError, match="does not answer.*chroma run"):
        open_client(tmp_path, f"http://127.0.0.1:{free_port()}")


# -- the real servers ---------------------------------------------------------------------------

def test_a_conversation_runs_through_a_chroma_server_and_an_llm_server(settings, servers):
    chroma_url, llm_url = servers
    settings = replace(settings, chroma_url=chroma_url, llm_server_url=llm_url,
                       index_dir=settings.index_dir / "unused")
    catalogs = {"movies": tiny_movies(), "beauty": tiny_products()}
    recommender = load_recommender(settings, embedder=WordHashEmbedder(),
                                   embedder_name="word-hash", catalogs=catalogs, progress=False)
    assert recommender.model.name.endswith(f"at {llm_url}")
    result = first_answer(recommender, "movies", "I loved Alien and Blade Runner").turn
    data = result.to_dict()
    picked = [r["id"] for r in data["recommendations"]]
    assert len(picked) == 3 and set(picked) <= set(data["candidates"])
    assert data["model_failure"] is None and data["checks"]["from_model"] == 3
    assert data["checks"]["out_of_candidates"] == 0
    assert data["profile"].startswith("You enjoy") and len(data["profile"]) > len("You enjoy")
    # the index lives in the server, not on this machine
    assert not settings.index_dir.exists()
    names = {c.name for c in open_client(Path("unused"), chroma_url).list_collections()}
    assert {"items-movies", "items-beauty"} <= names
    again = load_domains(settings, WordHashEmbedder(), "word-hash", catalogs, progress=False)
    assert again["movies"].index.ensure(progress=False) is False  # reused, not rebuilt


def test_a_server_that_stops_at_start_is_named_with_what_it_printed(tmp_path):
    not_a_model = tmp_path / "model.gguf"
    not_a_model.write_bytes(b"not a gguf" * 100)
    with pytest.raises(RecommenderError, match=r"(?s)python -m recommender llm-server stopped "
                                               r"at start \(exit status 2\)\. It printed:\n.*"
                                               r"error: llama_cpp.server could not start .*"
                                               r"Check that --model names a complete GGUF file"):
        with local_servers(tmp_path / "servers", threads=1, context_tokens=512,
                           model=not_a_model):
            pass
