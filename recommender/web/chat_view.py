"""How a turn reads in the chat: pure functions from pipeline events to Markdown.

Everything a user or the model wrote is escaped, so markup shows as text and is never rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from recommender.catalog import Catalog
from recommender.conversation.result import Answered, Detailed, Understood
from recommender.core.linking import LinkResult
from recommender.markup import escape
from recommender.core.turn import (
    ExplanationDelta,
    ExplanationSource,
    ExplanationStart,
    Finished,
    Linked,
    ProfileDelta,
    ProfileDone,
    Ranked,
    Recommended,
    Retrieved,
)

__all__ = ["TurnView"]


def _source_note(source: str | None) -> str:
    """The mark on text the checker replaced with catalog facts (none on the model's own)."""
    return " _(from catalog facts)_" if source == ExplanationSource.CATALOG_FACTS else ""


@dataclass
class _Pick:
    label: str
    item_id: str = ""
    explanation: str = ""
    source: str = ""


@dataclass
class TurnView:
    """Accumulates a turn's events and renders the assistant's message so far."""

    catalog: Catalog
    link: LinkResult | None = None
    profile: str = ""
    profile_source: ExplanationSource | None = None
    candidates: int | None = None
    picks: list[_Pick] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    done: bool = False
    understood: Understood | None = None
    """This turn's reading, when it came from a conversation."""
    detail: Detailed | None = None
    """The long answer to "why the third one?"."""
    detail_text: str = ""

    def apply(self, event: object) -> None:
        if isinstance(event, Understood):
            self.understood = event
        elif isinstance(event, Detailed):
            self.detail = event
        elif isinstance(event, ExplanationDelta) and not self.picks:
            self.detail_text += event.text  # a "why" answer streaming
        elif isinstance(event, Linked):
            self.link = event.link
        elif isinstance(event, ProfileDelta):
            self.profile += event.text
        elif isinstance(event, ProfileDone):
            self.profile = event.profile
            self.profile_source = event.source
        elif isinstance(event, Retrieved):
            self.candidates = len(event.candidates)
        elif isinstance(event, Ranked):  # the titles, before their explanations
            self.picks = [_Pick(self.catalog.get(i).label, i) for i in event.item_ids]
        elif isinstance(event, ExplanationStart):
            if event.position >= len(self.picks):
                self.picks.append(_Pick(event.item.label, event.item.item_id))
        elif isinstance(event, ExplanationDelta):
            self.picks[event.position].explanation += event.text
        elif isinstance(event, Recommended):
            pick = self.picks[event.position]
            pick.explanation = event.recommendation.explanation
            pick.source = event.recommendation.source
        elif isinstance(event, (Finished, Answered)):
            self.profile = event.result.profile or self.profile
            self.notices = list(event.result.notices)
            self.done = True

    def markdown(self) -> str:
        """The whole turn as one message."""
        picks = self._picks() if self.candidates is not None else ""
        return "\n\n".join(p for p in (self.header(status=False), picks) if p)

    def header(self, status: bool = True) -> str:
        """Everything but the picks: what was understood, the profile, notes, and (``status``)
        a line introducing the picks that follow as messages of their own."""
        acted = bool(self.understood and (self.understood.acted or self.understood.liked
                                          or self.understood.disliked))
        parts = [self._linking(quiet=acted), self._understood()]
        found = bool(self.link and self.link.item_ids) or acted
        if self.detail is not None or self.detail_text:
            parts.append(self._detail())
        elif found and (self.profile or self.candidates is not None or not self.done):
            parts.append("**Your taste:** " + (escape(self.profile.strip()) or "…")
                         + _source_note(self.profile_source))
        if found or not self.link:  # when nothing was linked, the linking text already says so
            parts += [f"_{escape(n)}_" for n in self.notices]
        if status and self.candidates is not None and not self.picks and not self.done:
            parts.append(f"_Choosing from {self.candidates} candidates…_")
        elif status and self.picks:
            parts.append(f"**Recommendations** (chosen from {self.candidates} candidates; "
                         "rate any of them with the thumbs under it)")
        return "\n\n".join(p for p in parts if p)

    def question(self) -> tuple[str, list[dict[str, str]]] | None:
        """"Which one did you mean?" as a last message, with clickable answers (label shown,
        message sent); ``None`` when nothing was ambiguous."""
        if self.understood is None or not self.understood.questions:
            return None
        noun = self.catalog.noun
        lines, options = [], []
        for q in self.understood.questions:
            if q.taken is not None:
                lines.append(f"**For “{escape(q.text)}” I took "
                             f"{escape(self.catalog.get(q.taken).label)}.** If you meant "
                             f"another {noun}, pick it below.")
            else:
                lines.append(f"**Which {noun} did you mean by “{escape(q.text)}”?** Pick one "
                             "below, or type the title with its year.")
            options += [{"label": self.catalog.get(i).label,
                         "value": q.answer(self.catalog.get(i).label)} for i in q.options]
        return "  \n".join(lines), options

    def pick_messages(self) -> list[tuple[str, str]]:
        """One (item id, Markdown message) per recommendation, in order."""
        return [(pick.item_id, self._pick(n, pick)) for n, pick in enumerate(self.picks, 1)]

    def _understood(self) -> str:
        u = self.understood
        if u is None:
            return ""
        lines = []
        noted = ([f"you liked {escape(self.catalog.get(i).label)}" for i in u.liked]
                 + [f"you disliked {escape(self.catalog.get(i).label)}" for i in u.disliked])
        if noted:
            lines.append("**Noted:** " + " · ".join(noted))
        rules = u.constraints.describe()
        if rules or u.constraints_changed:
            lines.append("**Filters:** " + (" · ".join(escape(r) for r in rules) or "none"))
        return "  \n".join(lines)

    def _detail(self) -> str:
        if self.detail is None:
            return escape(self.detail_text.strip()) or "…"
        label = escape(self.catalog.get(self.detail.item_id).label)
        return f"**Why {label}?** {escape(self.detail.text)}{_source_note(self.detail.source)}"

    def _linking(self, quiet: bool = False) -> str:
        """What the titles linked to; ``quiet`` when the message asked for something else, so
        finding no title is not a failure."""
        if self.link is None:
            return "…"
        lines = []
        found = [self.catalog.get(m.item_id).label for m in self.link.linked if m.item_id]
        if found:
            lines.append("**I understood:** " + " · ".join(escape(t) for t in dict.fromkeys(found)))
        if self.link.unmatched:
            missing = ", ".join(f"“{escape(u)}”" for u in self.link.unmatched)
            lines.append(f"**No {self.catalog.noun} matched:** {missing}. "
                         "Check the spelling or type the full title.")
        if not found and not quiet:
            noun = self.catalog.noun
            if not self.link.unmatched:
                lines.append(f"I didn't find a {noun} title in your message.")
            lines.append(f"Name a few {noun}s you liked, separated by commas, for example: "
                         + self._example() + ".")
        return "  \n".join(lines)

    def _picks(self) -> str:
        if not self.picks:
            return f"_Choosing from {self.candidates} candidates…_"
        lines = [f"**Recommendations** (chosen from {self.candidates} candidates)"]
        lines += [self._pick(n, pick) for n, pick in enumerate(self.picks, 1)]
        return "\n".join(lines)

    @staticmethod
    def _pick(n: int, pick: _Pick) -> str:
        text = escape(pick.explanation.strip()) or "…"
        return f"{n}. **{escape(pick.label)}**: {text}{_source_note(pick.source)}"

    def _example(self) -> str:
        if self.catalog.kind == "movies":
            return "“Alien, Blade Runner, The Matrix”"
        if self.catalog.kind == "products":
            return "“Versace Bright Crystal, CeraVe Moisturizing Cream”"  # both in the catalog
        return "“" + ", ".join(i.title for i in self.catalog.items[:2]) + "”"


def state_markdown(state, catalog: Catalog) -> str:
    """What the conversation holds (a ``ConversationState``), for the side panel."""
    def labels(ids: list[str], limit: int = 8) -> str:
        shown = [escape(catalog.get(i).label) for i in ids[-limit:] if i in catalog]
        more = len(ids) - len(shown)
        return " · ".join(shown) + (f" _(and {more} more)_" if more > 0 else "")

    rules = state.constraints.describe()
    lines = [f"**Liked:** {labels(state.liked) or '_none yet_'}",
             f"**Disliked:** {labels(state.disliked) or '_none_'}",
             "**Filters in force:** " + (" · ".join(escape(r) for r in rules) or "_none_")]
    if rules:
        lines.append("_Say “any year”, “horror is fine again” or “clear all filters” to lift "
                     "them._")
    return "  \n".join(lines)
