"""User studies, on fakes: the study file, assignment, the append-only log (threads,
processes, torn lines, a full disk), a participant's path, resuming from the log, and the
export checked against the log."""

import errno
import json
import multiprocessing
import threading
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from recommender.core.pipeline import Recommender
from recommender.errors import InputError, StudyConfigError, StudyLogError
from recommender.study import EventLog, StudyRunner, load_study
from recommender.study.assignment import balanced_condition, condition_from_link
from recommender.study.config import CONDITIONS
from recommender.study.export import export_study, rating_rows, summarize
from recommender.study.log import LogReadReport
from recommender.study.session import CONSENT, DONE, HISTORY, RATE

from .fakes import AnsweringModel

EXAMPLE = Path(__file__).resolve().parent.parent / "studies" / "explanations.toml"

MINIMAL = """
title = "T"
consent = "C"
completion_code = "CODE-1"
rounds = 2
recommendations = 2
min_titles = 2
seed = 3
"""


def _study(tmp_path, extra="", name="s.toml"):
    path = tmp_path / name
    path.write_text(MINIMAL + extra, encoding="utf-8")
    return load_study(path)


@pytest.fixture
def study(tmp_path):
    return _study(tmp_path)


@pytest.fixture
def runner(study, fake_domains, settings):
    recommender = Recommender(settings, AnsweringModel(" Sci-Fi."), fake_domains)
    return StudyRunner(study, recommender, EventLog(study.log))


def _all_answers(runner, person, value=5):
    items = {i.item_id: {q.id: value for q in runner.study.item_questions} for i in person.shown}
    return items, {q.id: value for q in runner.study.round_questions}


# -- the study file ---------------------------------------------------------------------------

def test_the_example_study_loads_with_every_condition_and_the_default_aims():
    study = load_study(EXAMPLE)
    assert study.conditions == CONDITIONS
    assert {q.aim for q in (*study.item_questions, *study.round_questions)} == {
        "transparency", "persuasiveness", "effectiveness", "trust", "satisfaction"}
    assert all(q.points == 7 for q in study.item_questions)
    assert study.log == EXAMPLE.parent / "study-logs" / "explanations.jsonl"
    assert len(study.digest) == 64


def test_defaults_fill_what_a_minimal_study_leaves_out(study, tmp_path):
    assert study.conditions == CONDITIONS and study.assignment == "balanced"
    assert [q.id for q in study.item_questions] == ["transparency", "persuasiveness",
                                                   "effectiveness"]
    assert [q.id for q in study.round_questions] == ["trust", "satisfaction"]
    assert study.log == tmp_path / "study-logs" / "s.jsonl"


def test_a_yaml_study_reads_like_the_toml_one(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("title: T\nconsent: C\ncompletion_code: X\nscale: 5\n"
                    "conditions: [none, llm]\nassignment: url\n", encoding="utf-8")
    study = load_study(path)
    assert study.conditions == ("none", "llm") and study.assignment == "url"
    assert {q.points for q in study.item_questions} == {5}


@pytest.mark.parametrize("extra, message", [
    ('colour = "red"', "Unknown study setting(s): colour"),
    ('conditions = ["none", "magic"]', "Unknown condition(s) magic"),
    ('conditions = ["none", "none"]', "lists a condition twice"),
    ('conditions = []', "conditions must be a list"),
    ('assignment = "alphabetical"', 'assignment must be "balanced" or "url"'),
    ("scale = 6", "scale must be 5 or 7"),
    ("rounds = 0", "rounds must be a whole number from 1 to 20"),
    ("recommendations = 11", "recommendations must be a whole number from 1 to 10"),
    ('seed = "x"', "seed must be a whole number"),
    ('[[item_questions]]\nid = "Bad Id"\ntext = "?"', "id 'Bad Id' must be lower-case"),
    ('[[item_questions]]\nid = "a"', "item_questions #1 needs an id and a text"),
    ('[[item_questions]]\nid = "a"\ntext = "x"\npoints = 10', "points must be 5 or 7"),
    ('[[item_questions]]\nid = "trust"\ntext = "x"', "share the id(s) trust"),
])
def test_a_bad_study_file_is_refused_with_the_setting_named(tmp_path, extra, message):
    path = tmp_path / "bad.toml"
    path.write_text(f'title = "T"\nconsent = "C"\ncompletion_code = "X"\n{extra}\n')
    with pytest.raises(StudyConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_study(path)


@pytest.mark.parametrize("name, content, message", [
    ("s.toml", "title = ", "not valid TOML"),
    ("s.toml", 'consent = "C"\ncompletion_code = "X"', 'needs title = "..."'),
    ("s.json", "{}", "must end in .toml, .yaml or .yml"),
    ("s.yaml", "- a\n- b\n", "must hold a table of settings"),
    ("s.toml", b"\xff\xfe", "is not UTF-8 text"),
])
def test_an_unreadable_study_file_says_why(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(StudyConfigError, match=message):
        load_study(path)


def test_a_missing_study_file_names_the_path(tmp_path):
    with pytest.raises(StudyConfigError, match="Cannot read the study file .*nope.toml"):
        load_study(tmp_path / "nope.toml")


# -- assignment -------------------------------------------------------------------------------

def test_balanced_assignment_holds_each_condition_once_per_block_and_is_reproducible():
    slots = [balanced_condition(n, CONDITIONS, seed=7) for n in range(40)]
    for block in range(10):
        assert sorted(slots[4 * block:4 * block + 4]) == sorted(CONDITIONS)
    assert slots == [balanced_condition(n, CONDITIONS, seed=7) for n in range(40)]
    assert slots != [balanced_condition(n, CONDITIONS, seed=8) for n in range(40)]
    assert len({tuple(slots[i:i + 4]) for i in range(0, 40, 4)}) > 1  # blocks are shuffled


@pytest.mark.parametrize("value, message", [(None, "missing its condition"),
                                            ("", "missing its condition"),
                                            ("placebo", "a condition the study does not have")])
def test_a_link_without_a_usable_condition_is_refused(value, message):
    with pytest.raises(InputError, match=message):
        condition_from_link(value, CONDITIONS)
    assert condition_from_link(" LLM ", CONDITIONS) == "llm"


# -- the log ----------------------------------------------------------------------------------

def test_events_come_back_in_order_with_a_utc_time(tmp_path):
    log = EventLog(tmp_path / "log.jsonl")
    for n in range(3):
        log.append({"event": "x", "n": n, "text": "é ✓ \n \"quoted\""})
    events = log.events()
    assert [e["n"] for e in events] == [0, 1, 2]
    assert events[0]["text"] == "é ✓ \n \"quoted\"" and events[0]["time"].endswith("+00:00")
    assert (tmp_path / "log.jsonl").read_text().count("\n") == 3


def test_concurrent_threads_never_interleave_lines(tmp_path):
    log = EventLog(tmp_path / "log.jsonl")
    payload = "x" * 5000  # bigger than a pipe buffer: a torn write would show

    def write(worker: int) -> None:
        for n in range(40):
            log.append({"event": "x", "worker": worker, "n": n, "payload": payload})

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = LogReadReport()
    events = log.events(report)
    assert report.bad_lines == [] and len(events) == 320
    assert Counter(e["worker"] for e in events) == {w: 40 for w in range(8)}
    for w in range(8):
        assert [e["n"] for e in events if e["worker"] == w] == list(range(40))


def _append_from_process(path: str, worker: int) -> None:
    log = EventLog(Path(path))
    for n in range(30):
        log.append({"event": "x", "worker": worker, "n": n, "payload": "y" * 8000})


def test_concurrent_processes_never_interleave_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_from_process, args=(str(path), w))
               for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
    assert all(p.exitcode == 0 for p in workers)
    report = LogReadReport()
    events = EventLog(path).events(report)
    assert report.bad_lines == [] and len(events) == 120
    assert Counter(e["worker"] for e in events) == {w: 30 for w in range(4)}


def test_a_line_torn_by_a_crash_is_skipped_and_reported(tmp_path):
    path = tmp_path / "log.jsonl"
    log = EventLog(path)
    log.append({"event": "a"})
    with open(path, "ab") as handle:
        handle.write(b'{"event": "b", "half')
    report = LogReadReport()
    assert [e["event"] for e in log.events(report)] == ["a"]
    assert report.bad_lines == [2]


def test_a_line_after_a_torn_one_is_kept_whole(tmp_path):
    path = tmp_path / "log.jsonl"
    log = EventLog(path)
    log.append({"event": "a"})
    with open(path, "ab") as handle:
        handle.write(b'{"event": "b", "half')
    log.append({"event": "c"})
    report = LogReadReport()
    assert [e["event"] for e in log.events(report)] == ["a", "c"]
    assert report.bad_lines == [2]


def test_a_reader_sees_only_what_was_appended_since_it_last_looked(tmp_path):
    path = tmp_path / "log.jsonl"
    mine, other = EventLog(path), EventLog(path)
    other.append({"event": "a"})
    assert [e["event"] for e in mine.read_new()] == ["a"]
    assert mine.read_new() == []
    other.append({"event": "b"})
    with open(path, "ab") as handle:
        handle.write(b'{"event": "c", "not yet')  # a writer mid-line: left for later
    with mine.transaction() as log:
        assert [e["event"] for e in log.new] == ["b"]
        log.append({"event": "d"})  # ends the torn line first
    other.append({"event": "e"})
    assert [e["event"] for e in mine.read_new()] == ["e"]


@pytest.mark.parametrize("failure", ["raise", "short"])
def test_a_full_disk_raises_and_leaves_earlier_records_whole(tmp_path, monkeypatch, failure):
    path = tmp_path / "log.jsonl"
    log = EventLog(path)
    log.append({"event": "kept"})
    before = path.read_bytes()
    import recommender.study.log as log_module

    real_write = log_module.os.write

    def full(fd, data):
        if failure == "raise":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data[: len(data) // 2])

    monkeypatch.setattr(log_module.os, "write", full)
    with pytest.raises(StudyLogError, match="could not be saved .*No space left on device"):
        log.append({"event": "lost"})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [e["event"] for e in log.events()] == ["kept"]


def test_an_unwritable_log_place_stops_the_study_before_it_starts(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StudyLogError, match="cannot be written .*Point `log`"):
        EventLog(blocker / "log.jsonl").check_writable()


# -- a participant's path ---------------------------------------------------------------------

def test_a_participant_goes_from_consent_to_the_completion_code(runner, study):
    person = runner.join()
    assert person.stage == CONSENT and person.condition in CONDITIONS
    person = runner.consent(person.id)
    assert person.stage == HISTORY and person.round == 1
    person = runner.submit_history(person.id, "Alien, Blade Runner")
    assert person.stage == RATE and len(person.shown) == 2
    first = [i.item_id for i in person.shown]
    assert not {"1", "3"} & set(first)  # never the history itself
    items, rounds = _all_answers(runner, person)
    person = runner.submit_ratings(person.id, 1, items, rounds, "nice")
    assert person.stage == HISTORY and person.round == 2
    assert person.history_text == "Alien, Blade Runner"  # offered again for round 2
    person = runner.submit_history(person.id, "Alien, Blade Runner")
    assert not set(first) & {i.item_id for i in person.shown}  # new items in round 2
    items, rounds = _all_answers(runner, person, 3)
    person = runner.submit_ratings(person.id, 2, items, rounds)
    assert person.stage == DONE
    kinds = [e["event"] for e in runner.log.events()]
    assert kinds == ["joined", "consented", "shown", "rated", "shown", "rated", "completed"]
    assert runner.log.events()[-1]["completion_code"] == "CODE-1"


def test_every_rating_is_required_and_nothing_is_logged_until_all_are_given(runner):
    person = runner.consent(runner.join().id)
    person = runner.submit_history(person.id, "Alien, Blade Runner")
    items, rounds = _all_answers(runner, person)
    first = person.shown[0].item_id
    items[first]["persuasiveness"] = None
    rounds["trust"] = 9  # off the 7-point scale
    with pytest.raises(InputError) as caught:
        runner.submit_ratings(person.id, 1, items, rounds)
    message = str(caught.value)
    assert message.startswith("Please answer every question before going on.")
    item = runner.participant(person.id).shown[0].title
    assert message.endswith(f"Still open: “This recommendation makes me want to try the item.” "
                            f"for {item} (and 1 more).")
    assert [e["event"] for e in runner.log.events()][-1] == "shown"
    assert runner.participant(person.id).stage == RATE


@pytest.mark.parametrize("text, message", [
    ("", "Your message is empty"),
    ("Alien", "Please name at least 2 movies we can find in the catalog; we found 1 (Alien (1979))"),
    ("Alien, Zzyzx Road Trip", "We did not find: Zzyzx Road Trip"),
])
def test_too_few_titles_found_says_which_were_found(runner, text, message):
    person = runner.consent(runner.join().id)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        runner.submit_history(person.id, text)
    assert runner.participant(person.id).stage == HISTORY


def test_conditions_differ_only_in_the_explanation(study, fake_domains, settings):
    recommender = Recommender(settings, AnsweringModel(" Sci-Fi."), fake_domains)
    runner = StudyRunner(study, recommender, EventLog(study.log))
    shown = {}
    for _ in range(4):
        person = runner.consent(runner.join().id)
        shown[person.condition] = runner.submit_history(person.id, "Alien, Blade Runner")
    assert set(shown) == set(CONDITIONS)
    orders = {c: [(i.item_id, i.title, i.facts) for i in p.shown] for c, p in shown.items()}
    assert len({tuple(o) for o in orders.values()}) == 1  # same items, same order
    events = [e for e in runner.log.events() if e["event"] == "shown"]
    assert len({tuple(e["candidates"]) for e in events}) == 1
    by_condition = {e["condition"]: e for e in events}
    assert all(i["explanation"] is None for i in by_condition["none"]["items"])
    assert {i["explanation"] for i in by_condition["generic"]["items"]} == {study.generic_text}
    for i in by_condition["features"]["items"]:
        assert i["explanation"].startswith(("Shares with what you liked: ",
                                            "It shares no ")), i
    for item in by_condition["llm"]["items"]:
        assert item["explanation"] == item["explanations"]["llm"]
        assert item["llm_explanation_source"] in ("llm", "catalog facts")
    assert {e["model"] for e in events} == {"answering"} and len(events[0]["prompt_version"]) == 12


def test_a_second_click_changes_nothing(runner):
    person = runner.consent(runner.join().id)
    person = runner.submit_history(person.id, "Alien, Blade Runner")
    items, rounds = _all_answers(runner, person)
    runner.submit_ratings(person.id, 1, items, rounds)
    again = runner.submit_ratings(person.id, 1, items, rounds)  # the same button, twice
    assert again.round == 2 and again.stage == HISTORY
    runner.consent(person.id)
    kinds = Counter(e["event"] for e in runner.log.events())
    assert kinds["rated"] == 1 and kinds["consented"] == 1


def test_a_new_runner_resumes_everyone_from_the_log(runner, study, fake_domains, settings):
    a = runner.consent(runner.join().id)
    a = runner.submit_history(a.id, "Alien, Blade Runner")
    b = runner.consent(runner.join().id)
    restarted = StudyRunner(study, Recommender(settings, AnsweringModel(), fake_domains),
                            EventLog(study.log))
    assert restarted.participant(a.id) == a and restarted.participant(b.id) == b
    c = restarted.join()  # the balanced sequence goes on where it stopped
    assert c.condition == balanced_condition(2, study.conditions, study.seed)


def test_replicas_writing_one_log_share_the_balance_and_every_participant(
        runner, study, fake_domains, settings):
    """Two processes of a deployment run the study over one log: the condition sequence is
    one sequence across both, and a participant can go on at either."""
    other = StudyRunner(study, Recommender(settings, AnsweringModel(" Sci-Fi."), fake_domains),
                        EventLog(study.log))
    joined = [(runner if n % 2 else other).join() for n in range(8)]
    assert [p.condition for p in joined] == [
        balanced_condition(n, study.conditions, study.seed) for n in range(8)]
    assert len({p.id for p in joined}) == 8
    person = other.consent(joined[0].id)  # joined on `other`, goes on at `runner` and back
    person = runner.submit_history(person.id, "Alien, Blade Runner")
    assert person.stage == RATE and other.participant(person.id) == person
    items, rounds = _all_answers(other, person)
    assert other.submit_ratings(person.id, 1, items, rounds).round == 2
    assert runner.submit_ratings(person.id, 1, items, rounds).round == 2  # a second click
    assert [e["event"] for e in EventLog(study.log).events()].count("rated") == 1


def test_an_unknown_participant_is_told_to_open_the_link_again(runner):
    assert runner.participant("nobody") is None and runner.participant(None) is None
    with pytest.raises(InputError, match="open the study link again"):
        runner.consent("nobody")


def test_a_failed_write_keeps_the_participant_where_they_were(runner, monkeypatch):
    person = runner.consent(runner.join().id)
    person = runner.submit_history(person.id, "Alien, Blade Runner")
    items, rounds = _all_answers(runner, person)

    def refuse(path, fd, event):
        raise StudyLogError("Your answer could not be saved (disk full).")

    monkeypatch.setattr("recommender.study.log._write", refuse)
    with pytest.raises(StudyLogError):
        runner.submit_ratings(person.id, 1, items, rounds)
    monkeypatch.undo()
    assert runner.participant(person.id).stage == RATE
    assert runner.submit_ratings(person.id, 1, items, rounds).round == 2  # and can retry


def test_link_assignment_takes_the_condition_from_the_link(tmp_path, fake_domains, settings):
    study = _study(tmp_path, 'assignment = "url"')
    runner = StudyRunner(study, Recommender(settings, AnsweringModel(), fake_domains),
                         EventLog(study.log))
    assert runner.join("features").condition == "features"
    with pytest.raises(InputError, match="missing its condition"):
        runner.join(None)
    assert [e["slot"] for e in runner.log.events()] == [None]


def test_an_unknown_catalog_fails_at_start(tmp_path, fake_domains, settings):
    study = _study(tmp_path, 'domain = "books"')
    with pytest.raises(Exception, match="Unknown domain 'books'"):
        StudyRunner(study, Recommender(settings, AnsweringModel(), fake_domains),
                    EventLog(study.log))


# -- export -----------------------------------------------------------------------------------

def test_the_export_has_one_row_per_logged_rating(runner, study, tmp_path):
    for value in (2, 6):
        person = runner.consent(runner.join().id)
        for round_number in (1, 2):
            person = runner.submit_history(person.id, "Alien, Blade Runner")
            items, rounds = _all_answers(runner, person, value)
            person = runner.submit_ratings(person.id, round_number, items, rounds,
                                           f"comment {value}")
    files = export_study(study, runner.log.events(), tmp_path / "out" / "ratings.csv")
    table = pd.read_csv(files.ratings, dtype={"item_id": str, "participant": str})
    logged = [(e["participant"], e["round"], r.get("item_id"), r["question"], r["value"])
              for e in runner.log.events() if e["event"] == "rated"
              for r in [*e["ratings"], *e["round_ratings"]]]
    exported = [(p, r, None if pd.isna(i) else i, q, v) for p, r, i, q, v in
                table[["participant", "round", "item_id", "question", "value"]]
                .itertuples(index=False)]
    assert sorted(exported, key=str) == sorted(logged, key=str)
    assert len(table) == 2 * 2 * (2 * 3 + 2)
    assert set(table["scope"]) == {"item", "round"}
    assert table.loc[table["scope"] == "item", "title"].notna().all()
    comments = pd.read_csv(files.comments)
    assert sorted(comments["comment"]) == ["comment 2"] * 2 + ["comment 6"] * 2
    participation = pd.read_csv(files.participation).set_index("condition")
    assert participation["completed"].sum() == 2 and participation["joined"].sum() == 2
    assert files.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_summary_averages_participants_first():
    # participant a rated transparency 1 and 3 (mean 2), b rated 6: condition mean (2 + 6) / 2
    rows = [("a", "llm", 1), ("a", "llm", 3), ("b", "llm", 6), ("c", "none", 4)]
    ratings = pd.DataFrame([{"participant": p, "condition": c, "question": "transparency",
                             "aim": "transparency", "scope": "item", "value": v}
                            for p, c, v in rows])
    summary = summarize(ratings).set_index("condition")
    assert summary.loc["llm", "mean"] == 4.0 and summary.loc["llm", "participants"] == 2
    assert summary.loc["llm", "ratings"] == 3
    assert summary.loc["llm", "ci_low"] == 2.0 and summary.loc["llm", "ci_high"] == 6.0
    assert summary.loc["none", "mean"] == 4.0 == summary.loc["none", "ci_low"]


def test_an_empty_log_exports_empty_files(study, tmp_path):
    files = export_study(study, [], tmp_path / "r.csv")
    assert pd.read_csv(files.ratings).empty and pd.read_csv(files.summary).empty
    assert rating_rows([], study).columns.tolist()[:3] == ["participant", "condition", "round"]


def test_the_log_holds_no_address_or_browser_data(runner):
    person = runner.consent(runner.join().id)
    runner.submit_history(person.id, "Alien, Blade Runner")
    text = runner.log.path.read_text()
    for field in ("ip", "host", "user_agent", "headers", "client", "session_hash"):
        assert f'"{field}"' not in text
    assert all(set(json.loads(line)) >= {"time", "event", "participant"}
               for line in text.splitlines())


# -- the command line -------------------------------------------------------------------------

def test_study_export_command_writes_every_file(runner, study, tmp_path, capsys):
    from recommender.cli import main

    person = runner.consent(runner.join().id)
    person = runner.submit_history(person.id, "Alien, Blade Runner")
    runner.submit_ratings(person.id, 1, *_all_answers(runner, person))
    assert main(["study", "export", "--study", str(study.source),
                 "--out", str(tmp_path / "res" / "ratings.csv")]) == 0
    out = capsys.readouterr().out
    assert "read 4 events (1 rated rounds)" in out
    for name in ("ratings.csv", "ratings-comments.csv", "ratings-summary.csv",
                 "ratings-participation.csv", "ratings-summary.png"):
        assert (tmp_path / "res" / name).is_file(), name
    assert len(pd.read_csv(tmp_path / "res" / "ratings.csv")) == 2 * 3 + 2


def test_study_commands_explain_what_is_missing(study, tmp_path, capsys, monkeypatch):
    from recommender.cli import main

    monkeypatch.delenv("RECOMMENDER_STUDY_FILE", raising=False)
    assert main(["study", "export", "--out", str(tmp_path / "r.csv")]) == 2
    assert "Name the study file: --study FILE" in capsys.readouterr().err
    assert main(["study", "export", "--study", str(study.source), "--out",
                 str(tmp_path / "r.csv")]) == 2
    assert "No study log at" in capsys.readouterr().err
    assert main(["study", "check", "--study", str(EXAMPLE)]) == 0
    assert "conditions none, generic, llm, features (balanced assignment" in \
        capsys.readouterr().out


def test_participation_reports_how_much_of_the_llm_condition_was_model_text():
    from recommender.study.export import participation

    def shown(condition, *sources):
        return {"event": "shown", "participant": condition, "condition": condition,
                "items": [{"llm_explanation_source": s} for s in sources]}

    events = [{"event": "joined", "participant": "llm", "condition": "llm"},
              {"event": "joined", "participant": "none", "condition": "none"},
              shown("llm", "llm", "llm", "catalog facts", "llm"), shown("llm", "llm"),
              shown("none", "catalog facts", "catalog facts")]  # not shown to anyone
    table = participation(events, ["none", "llm"]).set_index("condition")
    assert table.loc["llm", "model_text_share"] == 0.8
    assert pd.isna(table.loc["none", "model_text_share"])
    assert table["joined"].tolist() == [1, 1]


def test_measuring_the_llm_condition_runs_simulated_participants_into_a_log_of_their_own(
        study, fake_domains, settings, tmp_path):
    from recommender.study.measure import measure_llm_condition

    recommender = Recommender(settings, AnsweringModel(" Sci-Fi."), fake_domains)
    log = tmp_path / "measure" / "simulated.jsonl"
    typed = ["Alien, Blade Runner, The Matrix", "Alien, qqqq"]  # the second finds one title
    report = measure_llm_condition(study, recommender, typed, log)
    assert (report["participants"], report["rounds_shown"], report["refused"]) == (2, 1, 1)
    sources = report["rounds"][0]["sources"]
    assert report["explanations_shown"] == len(sources) == study.recommendations
    assert report["model_text_share"] == round(sources.count("llm") / len(sources), 3)
    assert report["rounds"][0]["typed"] == typed[0]
    assert not study.log.exists()  # the study's own log is never touched
    with pytest.raises(InputError, match="new log"):
        measure_llm_condition(study, recommender, typed, log)
