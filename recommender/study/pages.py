"""The study's page, laid out: the participant's screens (consent, titles, ratings, done) and
the researchers' results tab. Handlers are in ``ui``."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from recommender.study.config import Question, Study
from recommender.markup import escape

__all__ = ["StudyPage", "ResultsTab", "study_page", "results_tab", "card"]


@dataclass
class StudyPage:
    """The participant's tab: one column per screen, and the rating widgets."""

    pid: gr.BrowserState
    notice: gr.Markdown
    screens: list[gr.Column]
    """Consent, history, rate, done: one is visible at a time."""
    agree: gr.Button
    history_header: gr.Markdown
    titles: gr.Textbox
    recommend: gr.Button
    rate_header: gr.Markdown
    cards: list[gr.Group]
    card_texts: list[gr.Markdown]
    item_radios: list[gr.Radio]
    round_radios: list[gr.Radio]
    comment: gr.Textbox
    submit: gr.Button
    done_text: gr.Markdown

    @property
    def outputs(self) -> list:
        """Everything a handler updates, in ``StudyHandlers.show``'s order."""
        return [self.pid, self.notice, *self.screens, self.history_header, self.titles,
                self.rate_header, *self.cards, *self.card_texts, *self.item_radios,
                *self.round_radios, self.comment, self.done_text]


@dataclass
class ResultsTab:
    """The researchers' tab, opened with the results token."""

    token: gr.Textbox
    open: gr.Button
    notice: gr.Markdown
    participation: gr.Dataframe
    summary: gr.Dataframe
    plot: gr.Image
    downloads: gr.File

    @property
    def outputs(self) -> list:
        return [self.notice, self.participation, self.summary, self.plot, self.downloads]


def study_page(study: Study, pid: gr.BrowserState) -> StudyPage:
    """Lay out the participant's tab (inside an open ``gr.Tab``)."""
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
        for _ in range(study.recommendations):
            with gr.Group(visible=False) as group:
                card_texts.append(gr.Markdown())
                for question in study.item_questions:
                    item_radios.append(gr.Radio(choices(question), label=question.text,
                                                value=None))
            cards.append(group)
        gr.Markdown("#### About this set of recommendations")
        round_radios = [gr.Radio(choices(q), label=q.text, value=None)
                        for q in study.round_questions]
        comment = gr.Textbox(label=study.comment, lines=2, max_lines=6,
                             visible=bool(study.comment))
        submit = gr.Button("Save my answers and go on", variant="primary")
    with gr.Column(visible=False) as done_screen:
        done_text = gr.Markdown()
    return StudyPage(pid, notice, [consent_screen, history_screen, rate_screen, done_screen],
                     agree, history_header, titles, recommend, rate_header, cards, card_texts,
                     item_radios, round_radios, comment, submit, done_text)


def results_tab() -> ResultsTab:
    """Lay out the researchers' tab (inside an open ``gr.Tab``)."""
    gr.Markdown("Only for the researchers running this study. Participants' answers "
                "are shown only after the results token is entered.")
    token = gr.Textbox(label="Results token", type="password")
    open_results = gr.Button("Show results")
    notice = gr.Markdown()
    participation = gr.Dataframe(label="Participants per condition", visible=False,
                                 interactive=False)
    summary = gr.Dataframe(label="Mean rating per question and condition "
                                 "(95% bootstrap interval over participants)",
                           visible=False, interactive=False)
    plot = gr.Image(label="Summary", visible=False, type="filepath")
    downloads = gr.File(label="Exports", visible=False, file_count="multiple")
    return ResultsTab(token, open_results, notice, participation, summary, plot, downloads)


def choices(question: Question) -> list[tuple[str, int]]:
    labels = {1: f"1 · {question.low}", question.points: f"{question.points} · {question.high}"}
    return [(labels.get(n, str(n)), n) for n in range(1, question.points + 1)]


def card(position: int, title: str, facts: str, explanation: str | None) -> str:
    lines = [f"### {position}. {escape(title)}"]
    if facts:
        lines.append(f"<small>{escape(facts)}</small>")
    if explanation:
        lines.append(f"> {escape(explanation)}")
    return "\n\n".join(lines)
