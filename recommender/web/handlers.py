"""What the page's events do, one method each, over the visitor's own ``ChatSession`` (made on
its first event): the layer between Gradio's callbacks and the session, so ``app.py`` holds the
layout and its wiring only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import gradio as gr

from recommender.core.pipeline import Recommender
from recommender.web.session import ChatSession, Uploads, recommend_json

__all__ = ["Handlers", "chosen_option"]


class Handlers:
    """The page's event handlers over one loaded recommender; ``tries``: the catalogs that show
    "Try" examples, in the order of their columns."""

    def __init__(self, recommender: Recommender, tries: Sequence[str]) -> None:
        self.recommender = recommender
        self.uploads = Uploads.in_memory(recommender)
        self.tries = tuple(tries)

    def _session(self, session: ChatSession | None, kept: object = None) -> ChatSession:
        """This page's session: the one this process holds, else one going on from what the
        page kept (another replica answered before, or the session expired), else a new one."""
        return session or ChatSession.resumed(self.recommender, kept)

    def respond(self, message, domain, count, diversity, history, session, kept=None
                ) -> Iterator[tuple]:
        """A chat turn: the chat as it grows, the emptied message box, the side panel, and
        what the page keeps of the conversation (sent once the turn is over)."""
        session = self._session(session, kept)
        shown = list(history or [])
        for shown in session.send(message, domain, count, diversity, shown):
            yield shown, "", session, *session.side_panel(), gr.skip()
        yield shown, "", session, *session.side_panel(), session.kept()

    def rate(self, data: gr.LikeData, session, kept=None) -> tuple:
        session = self._session(session, kept)
        gr.Info(session.rate(data.index, data.liked))
        return session, *session.side_panel(), session.kept()

    def use_profile(self, text, session, kept=None) -> tuple:
        session = self._session(session, kept)
        gr.Info(session.edit_profile(text))
        return session, *session.side_panel(), session.kept()

    def reset(self, domain, session) -> list:
        """A new conversation in ``domain``, with that catalog's "Try" examples shown."""
        session = self._session(session)
        session.reset(domain)
        shown = [gr.Column(visible=key == domain) for key in self.tries]
        return [[], session, *session.side_panel(), self.recommender.settings.recommendations,
                0.0, session.kept(), *shown]

    def upload(self, file, session, progress=gr.Progress(track_tqdm=True)) -> tuple:
        """An uploaded catalog becomes this session's own; a refused one leaves all as it was."""
        session = self._session(session)
        if not file:
            return session, gr.skip(), gr.skip(), gr.skip()
        note, key = session.upload(self.uploads, Path(file), Path(file).name)
        if key is None:
            return session, gr.skip(), gr.skip(), note
        return session, gr.Radio(choices=session.choices(), value=key), key, note

    def recommend(self, message: str, domain: str = "movies", state: dict | None = None) -> dict:
        """Recommend from a free-text message. Pass the previous answer's ``state`` to go on
        with that conversation (likes, dislikes and filters are kept); leave it out to start
        a new one. Returns the same JSON as the CLI's --json, with the new ``state``."""
        return recommend_json(self.recommender, message, domain, state)


def chosen_option(data: gr.SelectData) -> str:
    """The message a clicked "did you mean" option sends."""
    return str(data.value)
