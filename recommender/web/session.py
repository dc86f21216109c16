"""One browser session's chat, library-side: its conversation state, the picks shown (chat
message position → item id), and the catalog it uploaded. The web UI holds one per session and
calls ``send``, ``rate``, ``edit_profile``, ``reset`` and ``upload``; none of them sees another
session's data.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from recommender.catalog import domain_labels
from recommender.conversation.state import ConversationState
from recommender.conversation.turn import Answered, answer, converse, new_conversation
from recommender.core.pipeline import Recommender
from recommender.core.turn import Ranked
from recommender.errors import RecommenderError
from recommender.settings import Settings
from recommender.vectors.store import open_memory_client
from recommender.markup import escape
from recommender.web.chat_view import TurnView, state_markdown
from recommender.web.upload import UploadedCatalog, UploadError, build_domain, parse_catalog

__all__ = ["ChatSession", "Uploads", "ChatHistory", "recommend_json", "shown_message",
           "settings_from_args"]

log = logging.getLogger(__name__)

ChatHistory = list[dict]

STREAM_INTERVAL_S = 0.25
"""Coalesce token updates to four a second: Gradio sends the whole chat with each. Against 0.05
s, in one sitting (``benchmark --app-load 1,10,30``): 10 visitors at once p50 14.3 → 12.1 s,
p95 22.3 → 18.5 s; one visitor's browser turn 1.25 → 1.22 times the API turn (``benchmark
--browser 24``, within noise); 30 at once unchanged (the model bounds them)."""
SHOWN_MESSAGE_CHARS = 500
_KEPT_PICKS = 500
"""Most pick positions a resumed conversation takes from a page (the thumbs of the last ones
work; a page cannot make a server hold more)."""
FAILED = ("Something went wrong on our side while answering. Please send your message again; "
          "if it keeps failing, press Reset.")


class Uploads:
    """Where uploaded catalogs are indexed: an in-memory Chroma client, with the shared
    catalogs' embedder."""

    def __init__(self, client, embedder, embedder_name: str, profile_weight: float) -> None:
        self.client, self.embedder, self.embedder_name = client, embedder, embedder_name
        self.profile_weight = profile_weight

    @classmethod
    def in_memory(cls, recommender: Recommender) -> Uploads:
        """Uploads kept in memory, embedded as the recommender's first catalog is."""
        shared = next(iter(recommender.domains.values())).index
        return cls(open_memory_client(), shared.embedder, shared.embedder_name,
                   recommender.settings.profile_weight)

    def index(self, path: Path, name: str) -> UploadedCatalog:
        """Check and index an uploaded file; ``UploadError`` says what is wrong with it."""
        catalog = parse_catalog(path, name=name)
        domain = build_domain(catalog, self.client, self.embedder, self.embedder_name,
                              self.profile_weight)
        return UploadedCatalog(catalog.domain, f"Your catalog: {name}", domain)


class ChatSession:
    """A visitor's conversation with the recommender."""

    def __init__(self, recommender: Recommender, domain: str | None = None) -> None:
        self.recommender = recommender
        self.uploaded: UploadedCatalog | None = None
        self.picks: dict[str, str] = {}
        self.state = self._fresh(domain or next(iter(recommender.domains)))
        self._turn = threading.Lock()  # the app runs turns at once: one at a time per visitor

    # -- the conversation as the page keeps it ---------------------------------------------

    def kept(self) -> dict:
        """What the page keeps of this conversation, so that another server process (a
        replica taking over from one that stopped) or this one after the session expired can
        go on with it: the state and which chat message shows which pick."""
        return {"state": self.state.to_dict(), "picks": dict(self.picks)}

    @classmethod
    def resumed(cls, recommender: Recommender, kept: object) -> ChatSession:
        """A session going on from what a page kept (``kept``); a fresh one when that is
        missing or not a conversation this server can go on with (checked as the API checks a
        state: a client may send anything)."""
        session = cls(recommender)
        if not isinstance(kept, dict) or not kept.get("state"):
            return session
        try:
            session.state = ConversationState.from_dict(kept["state"], recommender)
        except RecommenderError as exc:
            log.info("a page's conversation was not resumed: %s", exc)
            return session
        picks = kept.get("picks")
        if isinstance(picks, dict):
            session.picks = {str(k): v for k, v in list(picks.items())[-_KEPT_PICKS:]
                             if isinstance(v, str)}
        return session

    @property
    def engine(self) -> Recommender:
        """The recommender as this session sees it: with its own uploaded catalog, if any."""
        if self.uploaded is None:
            return self.recommender
        return self.recommender.with_domains({self.uploaded.key: self.uploaded.domain})

    def choices(self) -> list[tuple[str, str]]:
        """(label, key) of each catalog for the page's picker: the shared ones, then this
        session's upload."""
        labels = domain_labels(list(self.recommender.domains))
        if self.uploaded is not None:
            labels[self.uploaded.key] = self.uploaded.label
        return [(label, key) for key, label in labels.items()]

    def side_panel(self) -> tuple[str, str]:
        """What the conversation holds, and the profile (for its text box)."""
        catalog = self.engine.domain(self.state.domain).catalog
        return state_markdown(self.state, catalog), self.state.profile

    # -- the chat --------------------------------------------------------------------------

    def send(self, message: str | None, domain: str, count: float, diversity: float,
             history: ChatHistory) -> Iterator[ChatHistory]:
        """Answer a message, yielding the chat as it grows; on failure the state is as it was
        before the message. A second message of the same visitor waits for the first."""
        with self._turn:
            yield from self._send(message, domain, count, diversity, history)

    def _send(self, message: str | None, domain: str, count: float, diversity: float,
              history: ChatHistory) -> Iterator[ChatHistory]:
        history = [*history, {"role": "user", "content": shown_message(message or "")}]
        base = len(history)
        history.append({"role": "assistant", "content": "…"})
        try:
            self.engine.domain(domain)  # an unknown catalog is refused before anything changes
            state = replace(self.state, count=int(count), diversity=float(diversity))
            yield history
            yield from self._stream(state, message, domain, history, base)
        except RecommenderError as exc:
            yield [*history[:base], {"role": "assistant", "content": escape(str(exc))}]
        except Exception:  # never show a stack trace; the log has it
            log.exception("turn failed")
            yield [*history[:base], {"role": "assistant", "content": FAILED}]

    def _stream(self, state: ConversationState, message: str | None, domain: str,
                history: ChatHistory, base: int) -> Iterator[ChatHistory]:
        """The turn's chat as it grows; the session takes the turn's new state once answered
        (a turn that fails midway leaves the state as it was)."""
        engine = self.engine
        view = TurnView(engine.domain(domain).catalog)
        last = 0.0
        for event in converse(engine, state, message, domain=domain):
            if isinstance(event, Answered):
                self.state = event.result.state
            view.apply(event)
            now = time.monotonic()
            # The picks' titles go out as soon as they are known, whatever the interval.
            if now - last >= STREAM_INTERVAL_S or isinstance(event, (Ranked, Answered)):
                last = now
                yield self._render(view, history, base)

    def _render(self, view: TurnView, history: ChatHistory, base: int) -> ChatHistory:
        history[base:] = [{"role": "assistant", "content": view.header()}]
        for item_id, text in view.pick_messages():
            self.picks[str(len(history))] = item_id
            history.append({"role": "assistant", "content": text})
        question = view.question()
        if question:
            history.append({"role": "assistant", "content": question[0],
                            "options": question[1]})
        return history

    def rate(self, position: object, liked: object) -> str:
        """A thumb on the chat message at ``position``; what to tell the user."""
        item_id = self.picks.get(str(position))
        if item_id is None or liked not in (True, False):
            return "Rate one recommendation at a time, with the thumbs under that pick."
        catalog = self.engine.domain(self.state.domain).catalog
        if item_id not in catalog:
            return "That pick is from another catalog; rate one from this conversation."
        title = catalog.get(item_id).label
        if liked:
            self.state.like(item_id)
            return f"Added {title} to what you liked. Press Recommend for an updated answer."
        self.state.dislike(item_id)
        return f"{title} will not be recommended again. Press Recommend for an updated answer."

    def edit_profile(self, text: str | None) -> str:
        """The user's own profile (empty: the model writes it again); what to tell them."""
        limit = self.recommender.settings.max_message_chars
        self.state.edit_profile((text or "")[:limit])
        return ("Your profile will steer the next answer." if self.state.profile_edited else
                "The model will write your profile again on the next answer.")

    def reset(self, domain: str) -> None:
        """A new conversation in ``domain`` (the first catalog when it is not served)."""
        if domain not in self.engine.domains:
            domain = next(iter(self.recommender.domains))
        self.state, self.picks = self._fresh(domain), {}

    def upload(self, uploads: Uploads, path: Path, name: str) -> tuple[str, str | None]:
        """Index an uploaded catalog as this session's own: the message to show, and the new
        catalog's key (``None`` when the file was refused and the session left as it was)."""
        try:
            mine = uploads.index(path, name)
        except UploadError as exc:
            return f"**Upload refused.** {escape(str(exc))}", None
        self.close()
        self.uploaded = mine
        return (f"Indexed **{len(mine.domain.catalog):,}** items from {escape(name)}. They are "
                "yours only: other visitors never see them, and they are gone when you close "
                "the page.", mine.key)

    def close(self) -> None:
        """The session ended (or replaced its upload): the uploaded catalog's collection goes."""
        if self.uploaded is not None:
            self.uploaded.domain.index.drop()
            self.uploaded = None

    def _fresh(self, domain: str) -> ConversationState:
        return new_conversation(self.recommender, domain)



def recommend_json(recommender: Recommender, message: str, domain: str,
                   state: dict | None) -> dict:
    """The ``/recommend`` API: one turn from a free-text message, going on with the
    conversation in ``state`` when given; the answer's JSON, or ``{"error": ...}``."""
    try:
        conversation = (ConversationState.from_dict(state, recommender) if state else
                        new_conversation(recommender, domain))
        return answer(recommender, conversation, message, domain=domain).to_dict()
    except RecommenderError as exc:
        return {"error": str(exc)}


def shown_message(message: str) -> str:
    """The user's message as the chat shows it: escaped, long ones cut."""
    text = message.strip()
    if not text:
        return "_(recommend again)_"
    if len(text) > SHOWN_MESSAGE_CHARS:
        return escape(text[:SHOWN_MESSAGE_CHARS]) + f" … _({len(text):,} characters)_"
    return escape(text)


def settings_from_args(argv: Sequence[str] | None = None) -> Settings:
    """The app's settings: the environment's, with ``python app.py``'s options over them."""
    parser = argparse.ArgumentParser(description="Start the recommender web app.")
    parser.add_argument("--host", help="address to listen on (default RECOMMENDER_HOST)")
    parser.add_argument("--port", type=int, help="port (default RECOMMENDER_PORT)")
    parser.add_argument("--study", type=Path, metavar="FILE",
                        help="run the user study in FILE instead of the open chat (default "
                             "RECOMMENDER_STUDY_FILE); see studies/explanations.toml")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    return replace(settings, host=args.host or settings.host, port=args.port or settings.port,
                   study_file=args.study or settings.study_file)
