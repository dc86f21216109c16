"""What one conversation remembers across turns: a ``ConversationState``, a JSON document the UI
keeps per browser session and the API takes and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recommender.core.constraints import Constraints
from recommender.errors import InputError

if TYPE_CHECKING:
    from recommender.core.pipeline import Recommender

__all__ = ["ConversationState", "Question", "STATE_VERSION", "MAX_ITEMS", "ASK_BELOW",
           "DIFFERENT_DIVERSITY"]

STATE_VERSION = 1
MAX_ITEMS = 500
"""Most liked or disliked items a state may hold (a longer one is refused, not cut)."""
ASK_BELOW = 0.7
"""A title linked with less confidence than this, to one of several items, is asked about
("did you mean …?") rather than used."""
DIFFERENT_DIVERSITY = 0.6
"""Diversity of a "something different" turn when the setting is lower."""

@dataclass
class ConversationState:
    """Everything one conversation remembers; ``to_dict``/``from_dict`` round-trip it as JSON."""

    domain: str
    liked: list[str] = field(default_factory=list)
    """Item ids, oldest first: the history."""
    disliked: list[str] = field(default_factory=list)
    constraints: Constraints = field(default_factory=Constraints)
    profile: str = ""
    profile_edited: bool = False
    """The user wrote the profile: it is used as it is until they clear it or reset."""
    profile_for: list[str] = field(default_factory=list)
    """The liked items the current profile was written for (a new one is written when they
    change, unless the user edited it)."""
    shown: list[str] = field(default_factory=list)
    """The last answer's recommendations, in order ("the second one")."""
    count: int = 5
    diversity: float = 0.0

    def to_dict(self) -> dict:
        return {"version": STATE_VERSION, "domain": self.domain, "liked": list(self.liked),
                "disliked": list(self.disliked), "constraints": self.constraints.to_dict(),
                "profile": self.profile, "profile_edited": self.profile_edited,
                "profile_for": list(self.profile_for), "shown": list(self.shown),
                "count": self.count, "diversity": self.diversity}

    @classmethod
    def from_dict(cls, data: object, recommender: Recommender) -> ConversationState:
        """Read a state a client sent back; ``InputError`` says which field is wrong."""
        if not isinstance(data, dict):
            raise InputError("The conversation state must be a JSON object, as returned in "
                             "the previous answer's \"state\".")
        version = data.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise InputError(f"Conversation state version {version!r} is not supported; "
                             f"send the state this server returned (version {STATE_VERSION}), "
                             "or none to start a new conversation.")
        domain = data.get("domain")
        if not isinstance(domain, str) or domain not in recommender.domains:
            raise InputError(f"state.domain must be one of: {', '.join(recommender.domains)}.")
        catalog = recommender.domain(domain).catalog
        lists = {}
        for key in ("liked", "disliked", "shown", "profile_for"):
            values = data.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InputError(f"state.{key} must be a list of item ids (strings).")
            if len(values) > MAX_ITEMS:
                raise InputError(f"state.{key} holds {len(values)} items; the limit is "
                                 f"{MAX_ITEMS}.")
            unknown = [v for v in values if v not in catalog]
            if unknown:
                raise InputError(f"state.{key} has ids not in the {domain} catalog: "
                                 f"{', '.join(unknown[:5])}.")
            lists[key] = list(values)
        try:
            constraints = Constraints.from_dict(data.get("constraints") or {}, catalog.genres)
        except (ValueError, AttributeError) as exc:
            raise InputError(f"state.{exc}" if isinstance(exc, ValueError)
                             else "state.constraints must be an object.") from None
        profile = data.get("profile", "")
        if not isinstance(profile, str) or len(profile) > recommender.settings.max_message_chars:
            raise InputError("state.profile must be text of at most "
                             f"{recommender.settings.max_message_chars:,} characters.")
        count = data.get("count", recommender.settings.recommendations)
        if not isinstance(count, int) or isinstance(count, bool) or not \
                1 <= count <= recommender.settings.candidates:
            raise InputError(f"state.count must be a whole number from 1 to "
                             f"{recommender.settings.candidates}.")
        diversity = data.get("diversity", 0.0)
        if not isinstance(diversity, (int, float)) or isinstance(diversity, bool) or not \
                0.0 <= diversity <= 1.0:
            raise InputError("state.diversity must be a number from 0 to 1.")
        return cls(domain=domain, constraints=constraints, profile=profile,
                   profile_edited=bool(data.get("profile_edited", False)), count=count,
                   diversity=float(diversity), **lists)

    def fresh(self, domain: str | None = None) -> ConversationState:
        """A new conversation keeping only the controls (count and diversity)."""
        return ConversationState(domain=domain or self.domain, count=self.count,
                                 diversity=self.diversity)

    def shown_at(self, position: int | None) -> str | None:
        """The id shown at a 1-based position of the last answer (-1: the last one)."""
        if position is None or not self.shown:
            return None
        if position == -1:
            return self.shown[-1]
        return self.shown[position - 1] if 1 <= position <= len(self.shown) else None

    def like(self, item_id: str) -> None:
        if item_id in self.disliked:
            self.disliked.remove(item_id)
        if item_id not in self.liked:
            self.liked.append(item_id)

    def dislike(self, item_id: str) -> None:
        if item_id in self.liked:
            self.liked.remove(item_id)
        if item_id not in self.disliked:
            self.disliked.append(item_id)

    def edit_profile(self, text: str) -> None:
        """The user's own profile; empty text hands it back to the model."""
        self.profile = " ".join(text.split())
        self.profile_edited = bool(self.profile)
        if not self.profile_edited:
            self.profile_for = []


@dataclass(frozen=True)
class Question:
    """"Did you mean …?" about one phrase: the items it may name, likeliest first, and whether
    the user said they liked or disliked it."""

    text: str
    options: tuple[str, ...]
    liked: bool = True
    taken: str | None = None
    """The item already used for the phrase (one of several forms of one thing), the options
    being its other forms; ``None``: nothing was used until the user answers."""

    def answer(self, label: str) -> str:
        """The message that picks ``label``: sent when the user clicks it."""
        return label if self.liked else f"I didn't like {label}"
