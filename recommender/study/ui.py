"""The study in the browser: consent → titles → rated recommendations, round after round →
completion code; and a results tab that opens only with the researchers' token.

A thin layer over :class:`StudyRunner`: the participant's random id is kept in the browser's
local storage (encrypted with a key kept beside the log), so a reload, or a restarted server,
resumes where the participant was. Nothing is recorded before consent."""

from __future__ import annotations

import hmac
import html
import logging
import os
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

import gradio as gr

from recommender.errors import InputError, RecommenderError, StudyLogError
from recommender.study.config import Study
from recommender.study.export import study_tables, write_tables
from recommender.study.pages import StudyPage, card, results_tab, study_page
from recommender.study.session import (
    CONSENT,
    DONE,
    HISTORY,
    RATE,
    UNKNOWN_PARTICIPANT,
    Participant,
    StudyRunner,
)
from recommender.markup import escape

__all__ = ["build_study_app", "load_study_app", "participant_view", "StudyHandlers"]

log = logging.getLogger(__name__)


def participant_view(person: Participant, study: Study) -> dict:
    """What the participant may see of their own record (the API's answer). The condition is
    not named: participants are not told which one they are in."""
    view: dict = {"participant": person.id, "stage": person.stage, "round": person.round,
                  "rounds": study.rounds,
                  "items": [{"item_id": i.item_id, "title": i.title, "facts": i.facts,
                             "explanation": i.explanation} for i in person.shown]}
    if person.stage == DONE:
        view["completion_code"] = study.completion_code
    return view


def _browser_key(study: Study) -> str:
    """The key that encrypts the participant id in the browser. Kept beside the log so that a
    restarted server, and every replica of a deployment, can read what browsers hold. The
    first process to need it writes it whole under a temporary name and links it into place,
    so another process starting at the same moment reads that key, never a half-written one."""
    path = study.log.with_suffix(".key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(24))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            os.unlink(draft)
    return path.read_text(encoding="ascii").strip()


def build_study_app(runner: StudyRunner, results_token: str) -> gr.Blocks:
    """The participants' Blocks app over a runner, with the guarded results tab."""
    study = runner.study
    with gr.Blocks(title=study.title, analytics_enabled=False) as demo:
        pid = gr.BrowserState(None, storage_key=f"study-{study.id}", secret=_browser_key(study))
        with gr.Tab("Study"):
            page = study_page(study, pid)
        with gr.Tab("Results (researchers)"):
            results = results_tab()
        on = StudyHandlers(runner, page, results_token)
        private = {"api_visibility": "private"}
        demo.load(on.load, [pid], page.outputs, **private)
        page.agree.click(on.agree, [pid], page.outputs, **private)
        page.recommend.click(on.titles, [pid, page.titles], page.outputs, **private)
        page.titles.submit(on.titles, [pid, page.titles], page.outputs, **private)
        page.submit.click(on.ratings, [pid, *page.item_radios, *page.round_radios,
                                       page.comment], page.outputs, **private)
        results.open.click(on.results, [results.token], results.outputs, **private)
        results.token.submit(on.results, [results.token], results.outputs, **private)
        _api(runner)
    return demo


class StudyHandlers:
    """What each of the page's events does: ask the runner, then show the participant's
    screen (or keep it, with a message)."""

    def __init__(self, runner: StudyRunner, page: StudyPage, results_token: str) -> None:
        self.runner, self.study, self.page = runner, runner.study, page
        self.results_token = results_token

    def show(self, person: Participant | None, message: str = "") -> list:
        """Every output for this participant's screen (values reset for a new screen)."""
        study, page = self.study, self.page
        stage = person.stage if person else CONSENT
        updates: list = [person.id if person else None, message]
        updates += [gr.Column(visible=stage == s) for s in (CONSENT, HISTORY, RATE, DONE)]
        round_text = (f"#### Round {person.round} of {study.rounds}" if person else "")
        updates += [round_text, person.history_text if person else "", round_text]
        shown = person.shown if person and stage == RATE else ()
        updates += [gr.Group(visible=n < len(shown)) for n in range(study.recommendations)]
        texts = [""] * study.recommendations
        for n, item in enumerate(shown[:study.recommendations]):
            texts[n] = card(n + 1, item.title, item.facts, item.explanation)
        updates += texts
        updates += [gr.Radio(value=None)] * (len(page.item_radios) + len(page.round_radios))
        updates += [""]
        updates += [(f"### Thank you!\n\nYou have finished the study. Your completion code "
                     f"is **{escape(study.completion_code)}**.\n\nPlease copy it now; you can "
                     "close this page afterwards.") if stage == DONE else ""]
        return updates

    def keep(self, message: str) -> list:
        """Stay on the same screen, answers kept, with the message at the top and as a
        pop-up (the participant may be scrolled to the bottom of a long page)."""
        gr.Warning(html.escape(message))
        return [gr.skip(), f"**{escape(message)}**"] + [gr.skip()] * (len(self.page.outputs) - 2)

    def load(self, participant_id: str | None, request: gr.Request) -> list:
        person = self.runner.participant(participant_id)
        if person is not None:
            return self.show(person)
        if self.study.assignment == "url" and not request.query_params.get("condition"):
            return self.show(None, "**This study link is missing its condition.** Please open "
                                   "the exact link you were given.")
        return self.show(None)

    def agree(self, participant_id: str | None, request: gr.Request) -> list:
        try:
            person = self.runner.participant(participant_id)
            if person is None:
                person = self.runner.join(request.query_params.get("condition"))
            return self.show(self.runner.consent(person.id))
        except RecommenderError as exc:
            return self.keep(str(exc))

    def titles(self, participant_id: str | None, text: str) -> list:
        try:
            return self.show(self.runner.submit_history(_known(participant_id), text))
        except RecommenderError as exc:
            return self.keep(str(exc))
        except Exception:  # the participant must never see a stack trace
            log.exception("study recommendation failed")
            return self.keep("Something went wrong while preparing your recommendations. "
                             "Please press the button again in a moment.")

    def ratings(self, participant_id: str | None, *answers) -> list:
        person = self.runner.participant(participant_id)
        if person is None:
            return self.keep(UNKNOWN_PARTICIPANT)
        per_item, per_round, text = _answers(self.study, person, list(answers))
        try:
            return self.show(self.runner.submit_ratings(person.id, person.round, per_item,
                                                        per_round, text or ""))
        except StudyLogError as exc:
            return self.keep(f"{exc} Your answers are still on this page.")
        except RecommenderError as exc:
            return self.keep(str(exc))

    def results(self, given: str) -> tuple:
        hidden = (gr.Dataframe(visible=False), gr.Dataframe(visible=False),
                  gr.Image(visible=False), gr.File(visible=False))
        if not self.results_token:
            return ("Results are switched off: the server has no results token. Set "
                    "RECOMMENDER_STUDY_RESULTS_TOKEN and restart it, or use `python -m "
                    "recommender study export`.", *hidden)
        if not hmac.compare_digest((given or "").encode(), self.results_token.encode()):
            return ("That is not the results token.", *hidden)
        tables = study_tables(self.study, self.runner.log.events())
        files = write_tables(tables, self.study,
                             Path(tempfile.mkdtemp(prefix="study-results-")) / "ratings.csv")
        return (f"{len(tables.ratings):,} ratings from the log {escape(str(self.study.log))}.",
                gr.Dataframe(tables.participation, visible=True),
                gr.Dataframe(tables.summary, visible=True),
                gr.Image(str(files.plot), visible=True),
                gr.File([str(f) for f in (files.ratings, files.comments, files.summary,
                                          files.participation)], visible=True))


def _answers(study: Study, person: Participant, values: list) -> tuple[dict, dict, str]:
    """The rating widgets' values as (per item, per round, comment)."""
    item_qs, round_qs = study.item_questions, study.round_questions
    per_item = {}
    for n, item in enumerate(person.shown):
        chunk = values[n * len(item_qs):(n + 1) * len(item_qs)]
        per_item[item.item_id] = {q.id: v for q, v in zip(item_qs, chunk)}
    start = study.recommendations * len(item_qs)
    per_round = {q.id: v for q, v in zip(round_qs, values[start:start + len(round_qs)])}
    return per_item, per_round, values[start + len(round_qs)]


def _known(participant_id: str | None) -> str:
    if not participant_id:
        raise InputError(UNKNOWN_PARTICIPANT)
    return participant_id


def _api(runner: StudyRunner) -> None:
    """The same path as JSON endpoints (for scripted participants and tests). Each takes the
    participant id that ``study_join`` returned; an error comes back as ``{"error": ...}``."""
    study = runner.study

    def answer(call) -> dict:
        try:
            return participant_view(call(), study)
        except RecommenderError as exc:
            return {"error": str(exc)}

    def study_join(condition: str = "") -> dict:
        """Consent and join the study (``condition`` only when the study assigns by link)."""
        return answer(lambda: runner.consent(runner.join(condition or None).id))

    def study_state(participant: str) -> dict:
        """Where this participant is."""
        person = runner.participant(participant)
        return participant_view(person, study) if person else {"error": UNKNOWN_PARTICIPANT}

    def study_history(participant: str, titles: str) -> dict:
        """Name titles; returns this round's recommendations."""
        return answer(lambda: runner.submit_history(_known(participant), titles))

    def study_rate(participant: str, round: int, ratings: dict, round_ratings: dict,
                   comment: str = "") -> dict:
        """Rate this round: ``ratings`` maps item id → {question id: 1..points};
        ``round_ratings`` maps question id → 1..points."""
        return answer(lambda: runner.submit_ratings(_known(participant), int(round),
                                                    ratings or {}, round_ratings or {},
                                                    comment or ""))

    for fn in (study_join, study_state, study_history, study_rate):
        gr.api(fn, api_name=fn.__name__, api_visibility="undocumented")


def load_study_app(settings) -> "gr.Blocks":
    """The user study named by the settings, over a recommender of its catalog only."""
    from recommender.loading import load_recommender
    from recommender.study import EventLog, StudyRunner, load_study

    study = load_study(settings.study_file)
    if study.domain not in settings.domains:
        raise RecommenderError(f"The study uses the catalog {study.domain!r}, which this app "
                               f"does not serve; use one of {', '.join(settings.domains)}.")
    recommender = load_recommender(replace(settings, domains=(study.domain,)))
    runner = StudyRunner(study, recommender, EventLog(study.log))
    log.info("study %r: logging to %s", study.title, study.log)
    return build_study_app(runner, settings.study_results_token)
