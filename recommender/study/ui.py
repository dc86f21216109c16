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
from pathlib import Path

import gradio as gr

from recommender.web.chat_view import escape

from ..errors import InputError, RecommenderError, StudyLogError
from .config import Question, Study
from .export import study_tables, write_tables
from .session import CONSENT, DONE, HISTORY, RATE, UNKNOWN_PARTICIPANT, Participant, StudyRunner

__all__ = ["build_study_app", "participant_view"]

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


def _choices(question: Question) -> list[tuple[str, int]]:
    labels = {1: f"1 · {question.low}", question.points: f"{question.points} · {question.high}"}
    return [(labels.get(n, str(n)), n) for n in range(1, question.points + 1)]


def _card(position: int, title: str, facts: str, explanation: str | None) -> str:
    lines = [f"### {position}. {escape(title)}"]
    if facts:
        lines.append(f"<small>{escape(facts)}</small>")
    if explanation:
        lines.append(f"> {escape(explanation)}")
    return "\n\n".join(lines)


def _browser_key(study: Study) -> str:
    """The key that encrypts the participant id in the browser. Kept beside the log so that a
    restarted server can still read what browsers hold."""
    path = study.log.with_suffix(".key")
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(24)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
        return key


def build_study_app(runner: StudyRunner, results_token: str) -> gr.Blocks:
    """The participants' Blocks app over a runner, with the guarded results tab."""
    study = runner.study
    n_items, item_qs, round_qs = study.recommendations, study.item_questions, study.round_questions

    with gr.Blocks(title=study.title, analytics_enabled=False) as demo:
        pid = gr.BrowserState(None, storage_key=f"study-{study.id}", secret=_browser_key(study))
        with gr.Tab("Study"):
            gr.Markdown(f"## {escape(study.title)}")
            notice = gr.Markdown()
            with gr.Column(visible=True) as consent_screen:
                gr.Markdown(study.consent)
                agree = gr.Button("I agree", variant="primary")
            with gr.Column(visible=False) as history_screen:
                history_header = gr.Markdown()
                gr.Markdown(escape(study.instructions))
                titles = gr.Textbox(show_label=False, lines=2, max_lines=4,
                                    placeholder="e.g. Alien, Heat, Amélie")
                recommend = gr.Button("Show my recommendations", variant="primary")
            with gr.Column(visible=False) as rate_screen:
                rate_header = gr.Markdown()
                cards, card_texts, item_radios = [], [], []
                for _ in range(n_items):
                    with gr.Group(visible=False) as card:
                        card_texts.append(gr.Markdown())
                        for question in item_qs:
                            item_radios.append(gr.Radio(_choices(question), label=question.text,
                                                        value=None))
                    cards.append(card)
                gr.Markdown("#### About this set of recommendations")
                round_radios = [gr.Radio(_choices(q), label=q.text, value=None) for q in round_qs]
                comment = gr.Textbox(label=study.comment, lines=2, max_lines=6,
                                     visible=bool(study.comment))
                submit = gr.Button("Save my answers and go on", variant="primary")
            with gr.Column(visible=False) as done_screen:
                done_text = gr.Markdown()
        with gr.Tab("Results (researchers)"):
            gr.Markdown("Only for the researchers running this study. Participants' answers "
                        "are shown only after the results token is entered.")
            token = gr.Textbox(label="Results token", type="password")
            open_results = gr.Button("Show results")
            results_notice = gr.Markdown()
            participation_table = gr.Dataframe(label="Participants per condition",
                                               visible=False, interactive=False)
            summary_table = gr.Dataframe(label="Mean rating per question and condition "
                                               "(95% bootstrap interval over participants)",
                                         visible=False, interactive=False)
            plot = gr.Image(label="Summary", visible=False, type="filepath")
            downloads = gr.File(label="Exports", visible=False, file_count="multiple")

        screens = [consent_screen, history_screen, rate_screen, done_screen]
        outputs = [pid, notice, *screens, history_header, titles, rate_header, *cards,
                   *card_texts, *item_radios, *round_radios, comment, done_text]

        def show(person: Participant | None, message: str = "") -> list:
            """Every output for this participant's screen (values reset for a new screen)."""
            stage = person.stage if person else CONSENT
            updates: list = [person.id if person else None, message]
            updates += [gr.Column(visible=stage == s) for s in (CONSENT, HISTORY, RATE, DONE)]
            round_text = (f"#### Round {person.round} of {study.rounds}" if person else "")
            updates += [round_text, person.history_text if person else "", round_text]
            shown = person.shown if person and stage == RATE else ()
            updates += [gr.Group(visible=n < len(shown)) for n in range(n_items)]
            texts = [""] * n_items
            for n, item in enumerate(shown[:n_items]):
                texts[n] = _card(n + 1, item.title, item.facts, item.explanation)
            updates += texts
            updates += [gr.Radio(value=None)] * (len(item_radios) + len(round_radios))
            updates += [""]
            updates += [(f"### Thank you!\n\nYou have finished the study. Your completion code "
                         f"is **{escape(study.completion_code)}**.\n\nPlease copy it now; you can "
                         "close this page afterwards.") if stage == DONE else ""]
            return updates

        def keep(message: str) -> list:
            """Stay on the same screen, answers kept, with the message at the top and as a
            pop-up (the participant may be scrolled to the bottom of a long page)."""
            gr.Warning(html.escape(message))
            return [gr.skip(), f"**{escape(message)}**"] + [gr.skip()] * (len(outputs) - 2)

        def on_load(participant_id: str | None, request: gr.Request) -> list:
            person = runner.participant(participant_id)
            if person is not None:
                return show(person)
            if study.assignment == "url" and not request.query_params.get("condition"):
                return show(None, "**This study link is missing its condition.** Please open "
                                  "the exact link you were given.")
            return show(None)

        def on_agree(participant_id: str | None, request: gr.Request) -> list:
            try:
                person = runner.participant(participant_id)
                if person is None:
                    person = runner.join(request.query_params.get("condition"))
                return show(runner.consent(person.id))
            except RecommenderError as exc:
                return keep(str(exc))

        def on_titles(participant_id: str | None, text: str) -> list:
            try:
                return show(runner.submit_history(_known(participant_id), text))
            except RecommenderError as exc:
                return keep(str(exc))
            except Exception:  # the participant must never see a stack trace
                log.exception("study recommendation failed")
                return keep("Something went wrong while preparing your recommendations. "
                            "Please press the button again in a moment.")

        def on_submit(participant_id: str | None, *answers) -> list:
            person = runner.participant(participant_id)
            if person is None:
                return keep(UNKNOWN_PARTICIPANT)
            values = list(answers)
            per_item = {}
            for n, item in enumerate(person.shown):
                chunk = values[n * len(item_qs):(n + 1) * len(item_qs)]
                per_item[item.item_id] = {q.id: v for q, v in zip(item_qs, chunk)}
            start = n_items * len(item_qs)
            per_round = {q.id: v for q, v in zip(round_qs, values[start:start + len(round_qs)])}
            text = values[start + len(round_qs)]
            try:
                return show(runner.submit_ratings(person.id, person.round, per_item, per_round,
                                                  text or ""))
            except StudyLogError as exc:
                return keep(f"{exc} Your answers are still on this page.")
            except RecommenderError as exc:
                return keep(str(exc))

        def on_results(given: str) -> tuple:
            hidden = (gr.Dataframe(visible=False), gr.Dataframe(visible=False),
                      gr.Image(visible=False), gr.File(visible=False))
            if not results_token:
                return ("Results are switched off: the server has no results token. Set "
                        "RECOMMENDER_STUDY_RESULTS_TOKEN and restart it, or use `python -m "
                        "recommender study export`.", *hidden)
            if not hmac.compare_digest((given or "").encode(), results_token.encode()):
                return ("That is not the results token.", *hidden)
            tables = study_tables(study, runner.log.events())
            files = write_tables(tables, study,
                                 Path(tempfile.mkdtemp(prefix="study-results-")) / "ratings.csv")
            return (f"{len(tables.ratings):,} ratings from the log {escape(str(study.log))}.",
                    gr.Dataframe(tables.participation, visible=True),
                    gr.Dataframe(tables.summary, visible=True),
                    gr.Image(str(files.plot), visible=True),
                    gr.File([str(f) for f in (files.ratings, files.comments, files.summary,
                                              files.participation)], visible=True))

        demo.load(on_load, [pid], outputs, api_visibility="private")
        agree.click(on_agree, [pid], outputs, api_visibility="private")
        recommend.click(on_titles, [pid, titles], outputs, api_visibility="private")
        titles.submit(on_titles, [pid, titles], outputs, api_visibility="private")
        submit.click(on_submit, [pid, *item_radios, *round_radios, comment], outputs,
                     api_visibility="private")
        open_results.click(on_results, [token],
                           [results_notice, participation_table, summary_table, plot, downloads],
                           api_visibility="private")
        token.submit(on_results, [token],
                     [results_notice, participation_table, summary_table, plot, downloads],
                     api_visibility="private")
        _api(runner)
    return demo


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
    from dataclasses import replace

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
