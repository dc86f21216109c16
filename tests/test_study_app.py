"""The study app on the real stack, driven by simulated participants through gradio_client;
and a study server killed with SIGKILL mid-study (a subprocess), which must lose no event it
had acknowledged and resume its participants when started again."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from gradio_client import Client

from recommender.settings import PROJECT_ROOT
from recommender.study import EventLog, StudyRunner, load_study
from recommender.study.config import CONDITIONS
from recommender.study.export import export_study
from recommender.study.log import LogReadReport
from recommender.study.ui import build_study_app

from .real_stack import free_port, launch, write_small_data

HISTORIES = ["Alien, Blade Runner, The Matrix", "Toy Story, Toy Story 2, Up",
             "Heat, The Godfather, The Terminator", "Shaun of the Dead, Zombieland, 28 Days Later"]


def _study_file(folder: Path, rounds: int = 1) -> Path:
    path = folder / "study.toml"
    path.write_text(f'''title = "Test study"
consent = "You agree."
completion_code = "DONE-42"
rounds = {rounds}
recommendations = 2
min_titles = 2
seed = 11
log = "logs/study.jsonl"
''', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def study_server(real, tmp_path_factory):
    study = load_study(_study_file(tmp_path_factory.mktemp("study")))
    runner = StudyRunner(study, real, EventLog(study.log))
    demo = build_study_app(runner, results_token="let-me-in")
    yield launch(demo), runner
    demo.close()


def _answers(view: dict, value: int, study) -> tuple[dict, dict]:
    items = {i["item_id"]: {q.id: value for q in study.item_questions} for i in view["items"]}
    return items, {q.id: value for q in study.round_questions}


def _participant(url: str, history: str, value: int, study) -> tuple[dict, dict]:
    client = Client(url, verbose=False)
    joined = client.predict("", api_name="/study_join")
    assert joined["stage"] == "history", joined
    shown = client.predict(joined["participant"], history, api_name="/study_history")
    assert shown["stage"] == "rate" and len(shown["items"]) == 2, shown
    items, rounds = _answers(shown, value, study)
    done = client.predict(joined["participant"], 1, items, rounds, f"comment {value}",
                          api_name="/study_rate")
    return shown, done


@pytest.mark.slow
def test_simulated_participants_run_the_whole_study(study_server, tmp_path):
    url, runner = study_server
    study = runner.study
    # the first two name the same titles: in different conditions they must see the same
    histories = [HISTORIES[0], HISTORIES[0], HISTORIES[1], HISTORIES[2]]
    views = [_participant(url, history, value, study)
             for history, value in zip(histories, (1, 3, 5, 7))]
    for shown, done in views:
        assert done["stage"] == "done" and done["completion_code"] == "DONE-42"
        assert "condition" not in shown  # participants are not told their condition

    report = LogReadReport()
    events = runner.log.events(report)
    assert report.bad_lines == []
    raw = runner.log.path.read_text(encoding="utf-8").splitlines()
    assert len(raw) == len(events) and all(json.loads(line) for line in raw)

    # one block of four: each condition exactly once
    joined = [e for e in events if e["event"] == "joined"]
    assert sorted(e["condition"] for e in joined[:4]) == sorted(CONDITIONS)
    assert all(e["model"] and len(e["prompt_version"]) == 12 for e in joined)

    # each participant's recommendations come from their own history only
    shown = {e["participant"]: e for e in events if e["event"] == "shown"}
    same = [shown[v["participant"]] for v, _ in views[:2]]
    assert same[0]["condition"] != same[1]["condition"]
    for field in ("candidates", "order", "profile", "history"):
        assert same[0][field] == same[1][field], field
    assert [i["explanations"] for i in same[0]["items"]] == \
        [i["explanations"] for i in same[1]["items"]]
    for event in same:
        assert [i["explanation"] for i in event["items"]] == \
            [i["explanations"][event["condition"]] for i in event["items"]]
    for (view, _), history in zip(views, histories):
        event = shown[view["participant"]]
        assert event["history_text"] == history
        assert [i["item_id"] for i in view["items"]] == event["order"]
        assert set(event["order"]) <= set(event["candidates"])
        assert not set(event["order"]) & set(event["history"])
        for other in histories:
            if other != history:
                assert other not in json.dumps(view)

    # the export is the log, row for row
    files = export_study(study, events, tmp_path / "ratings.csv")
    table = pd.read_csv(files.ratings, dtype={"item_id": str, "participant": str})
    logged = sorted((e["participant"], r.get("item_id") or "", r["question"], r["value"])
                    for e in events if e["event"] == "rated"
                    for r in [*e["ratings"], *e["round_ratings"]])
    exported = sorted((p, "" if pd.isna(i) else i, q, int(v)) for p, i, q, v in
                      table[["participant", "item_id", "question", "value"]]
                      .itertuples(index=False))
    assert exported == logged and len(exported) == 4 * (2 * 3 + 2)
    summary = pd.read_csv(files.summary)
    by_condition = summary[summary["question"] == "trust"].set_index("condition")["mean"]
    condition_of = {e["participant"]: e["condition"] for e in joined}
    for (view, _), value in zip(views, (1, 3, 5, 7)):
        assert by_condition[condition_of[view["participant"]]] == value


def test_a_participant_cannot_read_or_act_for_another(study_server):
    url, runner = study_server
    first, second = Client(url, verbose=False), Client(url, verbose=False)
    a = first.predict("", api_name="/study_join")
    shown = first.predict(a["participant"], HISTORIES[0], api_name="/study_history")
    b = second.predict("", api_name="/study_join")
    state = second.predict(b["participant"], api_name="/study_state")
    assert state["items"] == [] and state["participant"] != a["participant"]
    assert HISTORIES[0] not in json.dumps(state)
    assert "error" in second.predict("not-an-id", api_name="/study_state")
    rated = second.predict("made-up", 1, {}, {}, "", api_name="/study_rate")
    assert "open the study link again" in rated["error"]
    assert first.predict(a["participant"], api_name="/study_state")["items"] == shown["items"]


def test_bad_answers_are_refused_with_what_is_missing(study_server):
    url, runner = study_server
    client = Client(url, verbose=False)
    a = client.predict("", api_name="/study_join")
    short = client.predict(a["participant"], "Alien", api_name="/study_history")
    assert "Please name at least 2 movies" in short["error"]
    shown = client.predict(a["participant"], HISTORIES[1], api_name="/study_history")
    items, rounds = _answers(shown, 4, runner.study)
    del rounds["trust"]
    refused = client.predict(a["participant"], 1, items, rounds, "", api_name="/study_rate")
    assert refused["error"].startswith("Please answer every question before going on.")
    assert client.predict(a["participant"], api_name="/study_state")["stage"] == "rate"


# -- a server killed mid-study ----------------------------------------------------------------

class StudyProcess:
    """``python app.py --study FILE`` as a subprocess on the small real data."""

    def __init__(self, folder: Path, study: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "RECOMMENDER_DATA_DIR": str(folder / "data"),
               "RECOMMENDER_INDEX_DIR": str(folder / "index"),
               "RECOMMENDER_COLLABORATIVE_DIR": str(folder / "no-models"),
               "RECOMMENDER_DOMAINS": "movies"}
        self.process = subprocess.Popen(
            [sys.executable, "app.py", "--study", str(study), "--port", str(self.port)],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.client = self._connect()

    def _connect(self) -> Client:
        for _ in range(600):  # a bounded wait for start-up (model and index), not a timing
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read().decode()[-3000:])
            try:
                return Client(self.url, verbose=False)
            except Exception:
                time.sleep(1)
        raise AssertionError("the study server never answered")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.mark.slow
def test_sigkill_mid_study_loses_no_acknowledged_event(tmp_path):
    write_small_data(tmp_path / "data", movies=200, products=10)
    study_path = _study_file(tmp_path, rounds=2)
    log_path = tmp_path / "logs" / "study.jsonl"

    server = StudyProcess(tmp_path, study_path)
    try:
        client = server.client
        a = client.predict("", api_name="/study_join")
        shown = client.predict(a["participant"], HISTORIES[0], api_name="/study_history")
        items, rounds = _answers(shown, 6, load_study(study_path))
        rated = client.predict(a["participant"], 1, items, rounds, "kept",
                               api_name="/study_rate")
        assert rated["stage"] == "history" and rated["round"] == 2
        acknowledged = EventLog(log_path).events()

        # a second participant's turn is running when the server dies
        b = client.predict("", api_name="/study_join")
        running = threading.Thread(target=lambda: _ignore(
            lambda: Client(server.url, verbose=False).predict(
                b["participant"], HISTORIES[1], api_name="/study_history")))
        running.start()
        time.sleep(2)
    finally:
        server.kill()
    running.join(timeout=60)

    report = LogReadReport()
    after = EventLog(log_path).events(report)
    assert report.bad_lines == []
    assert after[:len(acknowledged)] == acknowledged  # nothing acknowledged lost or changed
    mine = [e["event"] for e in after if e.get("participant") == a["participant"]]
    assert mine == ["joined", "consented", "shown", "rated"]
    rated_event = next(e for e in after if e["event"] == "rated")
    assert rated_event["comment"] == "kept" and {r["value"] for r in rated_event["ratings"]} == {6}

    restarted = StudyProcess(tmp_path, study_path)
    try:
        state = restarted.client.predict(a["participant"], api_name="/study_state")
        assert state["stage"] == "history" and state["round"] == 2
        second = restarted.client.predict(a["participant"], HISTORIES[0],
                                          api_name="/study_history")
        assert not {i["item_id"] for i in second["items"]} & {i["item_id"] for i in
                                                              shown["items"]}
        b_state = restarted.client.predict(b["participant"], api_name="/study_state")
        assert b_state["stage"] in ("history", "rate")  # whatever was acknowledged, no more
    finally:
        restarted.kill()


def _ignore(call) -> None:
    try:
        call()
    except Exception:
        pass


def test_processes_starting_together_share_one_browser_key(tmp_path):
    """Every replica of a deployment must read the same key, or a participant's id from one
    replica could not be read by another."""
    from concurrent.futures import ThreadPoolExecutor

    from recommender.study.ui import _browser_key

    study = load_study(_study_file(tmp_path))
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _browser_key(study), range(16)))
    assert len(keys) == 1 and len(keys.pop()) >= 32
    assert [p.name for p in study.log.parent.iterdir()] == ["study.key"]
