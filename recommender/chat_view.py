"""How a turn reads in the chat: pure functions from pipeline events to Markdown.

Everything a user or the model wrote is escaped, so markup shows as text and is never rendered.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from .catalog import Catalog
from .linking import LinkResult
from .pipeline import (Event, ExplanationDelta, ExplanationStart, Finished, Linked, ProfileDelta,
                       ProfileDone, Recommended, Retrieved)

__all__ = ["escape", "TurnView"]

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-!|~>$])")


def escape(text: str) -> str:
    """Show ``text`` literally: HTML entities for ``<>&``, backslashes before Markdown marks."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(text, quote=False))


@dataclass
class _Pick:
    label: str
    explanation: str = ""
    source: str = ""


@dataclass
class TurnView:
    """Accumulates a turn's events and renders the assistant's message so far."""

    catalog: Catalog
    link: LinkResult | None = None
    profile: str = ""
    candidates: int | None = None
    picks: list[_Pick] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    done: bool = False

    def apply(self, event: Event) -> None:
        if isinstance(event, Linked):
            self.link = event.link
        elif isinstance(event, ProfileDelta):
            self.profile += event.text
        elif isinstance(event, ProfileDone):
            self.profile = event.profile
        elif isinstance(event, Retrieved):
            self.candidates = len(event.candidates)
        elif isinstance(event, ExplanationStart):
            self.picks.append(_Pick(event.item.label))
        elif isinstance(event, ExplanationDelta):
            self.picks[event.position].explanation += event.text
        elif isinstance(event, Recommended):
            pick = self.picks[event.position]
            pick.explanation = event.recommendation.explanation
            pick.source = event.recommendation.source
        elif isinstance(event, Finished):
            self.profile = event.result.profile or self.profile
            self.notices = list(event.result.notices)
            self.done = True

    def markdown(self) -> str:
        parts = [self._linking()]
        found = bool(self.link and self.link.item_ids)
        if found:
            parts.append("**Your taste:** " + (escape(self.profile.strip()) or "…"))
        if self.candidates is not None:
            parts.append(self._picks())
        if found:  # when nothing was linked, the linking text already says so
            parts += [f"_{escape(n)}_" for n in self.notices]
        return "\n\n".join(p for p in parts if p)

    def _linking(self) -> str:
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
        if not found:
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
        for n, pick in enumerate(self.picks, 1):
            text = escape(pick.explanation.strip()) or "…"
            note = " _(from catalog facts)_" if pick.source == "catalog facts" else ""
            lines.append(f"{n}. **{escape(pick.label)}**: {text}{note}")
        return "\n".join(lines)

    def _example(self) -> str:
        return ("“Alien, Blade Runner, The Matrix”" if self.catalog.kind == "movies"
                else "“Versace Bright Crystal, Neutrogena Hydro Boost”")
