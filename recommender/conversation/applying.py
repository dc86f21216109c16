"""Applying a message's reading to the conversation state: phrases linked to catalog ids (the
one place words become ids), references to the last answer resolved, and constraint changes
checked against what the catalog holds."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from recommender.catalog import Catalog
from recommender.conversation.reading import Request
from recommender.conversation.result import Understood
from recommender.conversation.state import ASK_BELOW, ConversationState, Question
from recommender.core.constraints import ConstraintChange, Constraints
from recommender.core.domain import Domain
from recommender.core.grouping import one_line
from recommender.core.linking import LinkResult, Mention

__all__ = ["Applied", "apply_request"]


@dataclass
class Applied:
    """What applying one message did: this turn's linking, the ids newly liked and disliked,
    notes for the user, and questions about ambiguous titles."""

    request: Request
    mentions: list[Mention] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    constraints_changed: bool = False

    @property
    def link(self) -> LinkResult:
        return LinkResult(tuple(self.mentions))

    @property
    def acted(self) -> bool:
        """The message asked for something besides titles."""
        r = self.request
        return (r.change != ConstraintChange() or r.more_like is not None or r.why is not None
                or r.different or bool(self.questions)
                or bool(r.liked_positions or r.disliked_positions))

    def understood(self, constraints: Constraints) -> Understood:
        """What the chat confirms; ``constraints`` are those now in force."""
        return Understood(tuple(self.liked), tuple(self.disliked), constraints,
                          tuple(self.notes), tuple(self.questions), self.acted,
                          self.constraints_changed)


def apply_request(request: Request, state: ConversationState, domain: Domain) -> Applied:
    """Update ``state`` with what the message said."""
    applied, before = Applied(request), state.constraints
    for phrases, positions, liked in ((request.liked_text, request.liked_positions, True),
                                      (request.disliked_text, request.disliked_positions,
                                       False)):
        target = applied.liked if liked else applied.disliked
        for phrase in phrases:
            _link_phrase(phrase, liked, domain, applied, target)
        for position in positions:
            item = state.shown_at(position)
            if item:
                target.append(item)
            else:
                applied.notes.append(_no_such_position(position, state))
    for item_id in applied.liked:
        state.like(item_id)
    for item_id in applied.disliked:
        state.dislike(item_id)
    for reference in (request.more_like, request.why):
        if reference is not None and state.shown_at(reference) is None:
            applied.notes.append(_no_such_position(reference, state))
    state.constraints = _usable(request.change, domain.catalog, applied.notes).applied_to(
        state.constraints)
    applied.constraints_changed = before != state.constraints
    applied.liked = list(dict.fromkeys(applied.liked))
    applied.disliked = list(dict.fromkeys(applied.disliked))
    return applied


def _link_phrase(phrase: str, liked: bool, domain: Domain, applied: Applied,
                 target: list[str]) -> None:
    """Link one phrase. A name that fits several forms of one thing (sizes or shades of one
    product, films of one series) is taken at once as its likeliest form, said so, with the
    others offered beside the answer; only genuinely different items are asked about first."""
    catalog = domain.catalog
    for mention in domain.linker.link_message(phrase).mentions:
        options = (mention.item_id, *mention.alternatives)
        if mention.ambiguous(ASK_BELOW):
            if not one_line([catalog.get(i) for i in options if i], catalog.kind,
                            mention.text):
                applied.questions.append(Question(mention.text, options, liked=liked))
                continue
            applied.questions.append(Question(mention.text, mention.alternatives, liked=liked,
                                              taken=mention.item_id))
        applied.mentions.append(mention)
        if mention.item_id:
            target.append(mention.item_id)


def _usable(change: ConstraintChange, catalog: Catalog, notes: list[str]) -> ConstraintChange:
    """The change without the parts this catalog cannot filter by, each noted."""
    wanted_genres = {*change.include_genres, *change.exclude_genres}
    if wanted_genres and not catalog.genres:
        notes.append(f"This catalog has no genres, so “{', '.join(sorted(wanted_genres))}” "
                     "cannot be used as a filter.")
        change = replace(change, include_genres=(), exclude_genres=())
    if (change.year_min is not None or change.year_max is not None) and \
            catalog.latest_year is None:
        notes.append("This catalog has no years, so the year range cannot be used as a filter.")
        change = replace(change, year_min=None, year_max=None)
    if change.year_min is not None and change.year_max is not None and \
            change.year_min > change.year_max:
        notes.append(f"The years asked for ({change.year_min} to {change.year_max}) leave "
                     "nothing between them; the year filter is unchanged.")
        change = replace(change, year_min=None, year_max=None)
    return change


def _no_such_position(position: int, state: ConversationState) -> str:
    if not state.shown:
        return "There is no earlier answer to refer to yet; name a title instead."
    return (f"The last answer had {len(state.shown)} recommendations, so there is no "
            f"number {position}.")
