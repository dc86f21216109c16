"""The replicated deployment (``recommender.deployment``): llama.cpp's llama-server, a Chroma
server, two app replicas and nginx, started on loopback as ``python -m recommender deploy``
starts them. A conversation and a study are held through it, and each part is killed once
during a conversation: the visitor is told which part failed and what to do, loses at most the
turn in flight, and goes on when the part is back.

The first tests read the configuration only; the rest (``slow``) need llama-server and nginx
(``make deploy-tools``, which ``make test`` runs)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from recommender.deployment import (
    DeploymentPlan,
    deployment,
    find_llama_server,
    find_nginx,
    llama_server_command,
    nginx_config,
)
from recommender.errors import IndexUnavailableError, RecommenderError
from recommender.evaluation.app_load import shown
from recommender.models.adapters import SHIPPED_ADAPTER
from recommender.models.packaged import default_gguf_path
from recommender.study import EventLog
from recommender.study.config import load_study
from recommender.study.export import rating_rows
from recommender.vectors.store import store_answering


# -- the configuration ---------------------------------------------------------------------

def test_nginx_keeps_a_visitor_on_one_replica_and_streams_unbuffered(tmp_path):
    text = nginx_config(tmp_path, 8080, [7001, 7002])
    assert "server 127.0.0.1:7001 max_fails=1" in text and "server 127.0.0.1:7002" in text
    assert "hash $replica_key consistent;" in text
    assert '"" $request_id;' in text and "default $cookie_replica;" in text
    assert 'Set-Cookie "replica=$replica_key;' in text
    assert "proxy_buffering off;" in text and "proxy_next_upstream error timeout" in text
    assert "listen 127.0.0.1:8080;" in text


def test_llama_server_runs_slots_together_with_the_adapter(tmp_path):
    plan = DeploymentPlan(folder=tmp_path, model=Path("m.gguf"), adapter=Path("a.gguf"),
                          slots=3, context_tokens=1024, threads=2)
    command = llama_server_command(plan, 9000)
    joined = " ".join(command)
    assert "--parallel 3 --cont-batching --ctx-size 3072 --threads 2" in joined
    assert command[command.index("--lora") + 1] == "a.gguf" and "--no-repack" in command
    assert "--lora" not in llama_server_command(
        DeploymentPlan(folder=tmp_path, model=Path("m.gguf")), 9000)


def test_a_missing_llama_server_says_how_to_build_it(tmp_path):
    with pytest.raises(RecommenderError, match="make deploy"):
        find_llama_server(tmp_path / "llama-server")
    with pytest.raises(RecommenderError, match="at least 1"):
        DeploymentPlan(folder=tmp_path, model=Path("m"), replicas=0).check()


def test_a_store_that_stops_answering_says_so_and_what_to_do():
    with pytest.raises(IndexUnavailableError, match="Chroma store.* did not answer.*kept: send "
                                                    "your message again"):
        with store_answering():
            raise httpx.ConnectError("connection refused")
    with pytest.raises(RecommenderError, match="^its own$"):  # ours pass through unchanged
        with store_answering():
            raise RecommenderError("its own")


# -- the deployment running ----------------------------------------------------------------

def _plan(folder: Path, study: Path | None = None) -> DeploymentPlan:
    return DeploymentPlan(folder=folder, model=default_gguf_path(), adapter=SHIPPED_ADAPTER,
                          replicas=2, slots=2, threads=2, port=0, study_file=study)


@pytest.fixture(scope="module")
def shared_folder(tmp_path_factory) -> Path:
    """One deployment folder for this module's deployments, one after another: the first
    fills the Chroma server's data (about a minute), the next starts from it."""
    return tmp_path_factory.mktemp("deployment")


@pytest.fixture(scope="module")
def deployed(shared_folder):
    with deployment(_plan(shared_folder)) as running:
        yield running


def _client(url: str, cookies: dict | None = None):
    """A visitor's page; ``cookies``: the page reloaded after its connection broke (same
    cookie, so nginx sends it where it went before, or on when that replica is gone)."""
    from gradio_client import Client

    return Client(url + "/", verbose=False, httpx_kwargs={"cookies": dict(cookies or {})})


def _turn(client, message: str, history=None, kept=None):
    """One chat turn: the chat, the side panel's text (as shown), what the page keeps."""
    history, cleared, status, _profile, kept = client.predict(
        message, "movies", 5, 0.0, history or [], kept or {}, api_name="/chat")
    assert cleared == ""
    return history, shown({"content": status}), kept


def _text(history) -> str:
    return "\n".join(shown(m) for m in history)


def _replica(deployed, client) -> str:
    """Which replica nginx sends this client to (nginx names it in ``X-Replica``)."""
    answer = httpx.get(deployed.url + "/config", cookies=client.cookies, timeout=10)
    port = answer.headers["x-replica"].rsplit(":", 1)[1]
    return next(name for name, url in zip(("replica-1", "replica-2"), deployed.replica_urls)
                if url.endswith(f":{port}"))


def _wait_until_answering(url: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer again")


@pytest.mark.slow
def test_the_tools_are_there_and_the_configuration_is_valid(tmp_path):
    find_llama_server()
    text = nginx_config(tmp_path, 8080, [7001, 7002])
    (tmp_path / "nginx.conf").write_text(text)
    checked = subprocess.run([str(find_nginx()), "-t", "-p", str(tmp_path), "-c",
                              str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


STUDY = """
title = "Deployed study"
consent = "You agree."
completion_code = "DONE-7"
domain = "movies"
conditions = ["llm", "none"]
rounds = 1
recommendations = 3
min_titles = 2
seed = 5
log = "{log}"
"""


@pytest.mark.slow
def test_a_study_runs_across_replicas_into_one_log(tmp_path, shared_folder):
    log = tmp_path / "study.jsonl"
    study_file = tmp_path / "study.toml"
    study_file.write_text(STUDY.format(log=log))
    study = load_study(study_file)
    with deployment(_plan(shared_folder, study_file)) as running:
        first, second = (_client(url) for url in running.replica_urls)
        joined = [first.predict("", api_name="/study_join"),
                  second.predict("", api_name="/study_join")]
        slots = [e["slot"] for e in EventLog(log).events() if e["event"] == "joined"]
        assert slots == [0, 1]  # one balanced sequence across the replicas
        pid = joined[0]["participant"]  # joined at replica 1, goes on at 2, ends through nginx
        shown = second.predict(pid, "Alien, Toy Story, Heat", api_name="/study_history")
        items = {i["item_id"]: {q.id: 5 for q in study.item_questions} for i in shown["items"]}
        rounds = {q.id: 5 for q in study.round_questions}
        done = _client(running.url).predict(pid, 1, items, rounds, "", api_name="/study_rate")
        assert done["stage"] == "done", done
    events = EventLog(log).events()
    assert [e["event"] for e in events].count("joined") == 2
    assert len(rating_rows(events, study)) == 3 * len(study.item_questions) + len(
        study.round_questions)


@pytest.mark.slow
def test_a_conversation_goes_through_nginx_and_stays_on_one_replica(deployed):
    client = _client(deployed.url)
    history, status, kept = _turn(client, "I loved Alien and Toy Story")
    assert "**I understood:** Alien (1979) · Toy Story (1995)" in _text(history)
    assert [shown(m)[:3] for m in history[2:]] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert "did not answer" not in _text(history)  # the model (llama-server) wrote it
    assert len({_replica(deployed, client) for _ in range(4)}) == 1
    history, status, kept = _turn(client, "Heat", history, kept)
    assert "Alien (1979) · Toy Story (1995) · Heat (1995)" in status


@pytest.mark.slow
def test_a_replica_killed_mid_turn_costs_only_that_turn(deployed):
    client = _client(deployed.url)
    history, status, kept = _turn(client, "I loved Alien and Toy Story")
    mine = _replica(deployed, client)
    job = client.submit("Heat", "movies", 5, 0.0, history, kept, api_name="/chat")
    time.sleep(0.5)  # the turn is running on `mine`
    deployed.parts.kill(mine)
    with pytest.raises(Exception):
        job.result(timeout=60)
    client = _client(deployed.url, client.cookies)
    try:
        history, status, kept = _turn(client, "Heat", history, kept)  # the other replica
        assert _replica(deployed, client) != mine
        assert "Alien (1979) · Toy Story (1995) · Heat (1995)" in status
        assert "**I understood:** Heat (1995)" in _text(history)
    finally:
        deployed.parts.restart(mine)


@pytest.mark.slow
def test_the_llm_server_down_the_turn_comes_from_retrieval_and_recovers(deployed):
    client = _client(deployed.url)
    deployed.parts.kill("llm-server")
    try:
        history, status, kept = _turn(client, "I loved Alien and Toy Story")
        assert "The language model did not answer" in _text(history)
        assert "Send your message again to retry" in _text(history)
        assert "Alien (1979) · Toy Story (1995)" in status
    finally:
        deployed.parts.restart("llm-server")
    history, status, kept = _turn(client, "Heat", history, kept)
    assert "did not answer" not in _text(history[-6:])


@pytest.mark.slow
def test_the_chroma_server_down_says_so_and_the_conversation_goes_on(deployed):
    client = _client(deployed.url)
    history, status, kept = _turn(client, "I loved Alien and Toy Story")
    deployed.parts.kill("chroma")
    try:
        failed, _, _ = _turn(client, "Heat", history, kept)
        assert "The vector index (the Chroma store) did not answer" in shown(failed[-1])
    finally:
        deployed.parts.restart("chroma")
    history, status, kept = _turn(client, "Heat", history, kept)
    assert "Alien (1979) · Toy Story (1995) · Heat (1995)" in status


