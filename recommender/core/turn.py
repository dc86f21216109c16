"""What one turn is asked (``TurnPlan``), what it produces (``TurnResult``, ``Recommendation``),
and the events it streams on the way, in the order they come."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum

from recommender.catalog import Catalog, Item
from recommender.core.constraints import Constraints
from recommender.core.linking import LinkResult
from recommender.core.retrieval import Steering
from recommender.core.selection import Selection

__all__ = ["HISTORY_LIMIT", "ExplanationSource", "TurnPlan", "Recommendation", "Profile", "TurnResult",
           "NO_TEXT", "UNSUPPORTED", "CALLED_NEW", "NO_FACT", "NOT_SHARED", "CLAIMED_SHARED", "NO_HISTORY_FACT",
           "Linked",
           "ProfileDelta", "ProfileDone", "Retrieved", "Ranked", "ExplanationStart", "ExplanationDelta", "Recommended",
           "Finished",
           "Event"]

HISTORY_LIMIT = 20
"""History items the model reads: the last 20, as PALR and LlamaRec feed their LLMs."""


class ExplanationSource(StrEnum):
    """Who wrote an explanation the user sees."""

    LLM = "llm"
    CATALOG_FACTS = "catalog facts"
    """The model's sentence was replaced by one built from catalog facts."""


NO_TEXT = "the model wrote nothing"
UNSUPPORTED = "it claimed something the catalog does not hold"
NO_FACT = "it stated no catalog fact about the pick"
NOT_SHARED = "it named nothing the pick shares with the title it compares it to"
REPEATED = "it named one thing twice in a row"
MISWORDED = "it used a describing word as a thing (“another cleansing”)"
WRONG_ARTICLE = "it wrote “a” or “an” before the wrong sound (“an drama”)"
CALLED_NEW = "it called the pick new to the list, though it is like the title it names"
CLAIMED_SHARED = "it said the pick shares a fact that only the pick has"
"""Why a model explanation was replaced (``Recommendation.replaced_because``)."""
NO_HISTORY_FACT = "it named no catalog fact of the titles liked"
"""Why a model profile was replaced (``TurnResult.profile_replaced_because``), besides
``NO_TEXT`` and ``UNSUPPORTED``."""


@dataclass(frozen=True)
class TurnPlan:
    """What a conversation asks of a turn beyond the history (see ``conversation``)."""

    profile: str | None = None
    """Use this profile (the user's edit, or last turn's for the same history) instead of
    writing one."""
    steer: Steering = field(default_factory=Steering)
    exclude: tuple[str, ...] = ()
    """Never recommend these (disliked items), besides the history."""
    constraints: Constraints = field(default_factory=Constraints)
    """Checked on every candidate, after Chroma's filter, so none that breaks it is shown."""
    count: int | None = None
    """Recommendations to show; the setting's number by default."""
    diversity: float = 0.0
    """0: retrieval order; up to 1: maximal marginal relevance over the candidates."""
    unlike: tuple[str, ...] = ()
    """Items the candidates should differ from too ("something different" from these)."""
    select: bool | None = None
    """Ask the model to choose among the candidates: ``None`` only when its choice weighs in
    the final order (the catalog's LLM weight is above 0), so a turn never waits for a result
    it throws away; ``True`` always (the evaluation, which measures that choice)."""


@dataclass(frozen=True)
class Recommendation:
    """A pick and its explanation. ``source`` says who wrote it; when the model's explanation
    was replaced, ``replaced_because`` says why."""

    item_id: str
    title: str
    explanation: str
    source: ExplanationSource
    anchor_id: str
    unsupported_claims: tuple[str, ...] = ()
    replaced_because: str | None = None
    model_text: str = ""
    """The sentence the model wrote for this pick, shown or replaced ("" when it wrote none)."""


@dataclass(frozen=True)
class Profile:
    """A profile the model wrote for a turn, checked: the text the turn uses, who wrote it, and
    (when the model's was replaced) why."""

    text: str
    source: ExplanationSource
    model_text: str = ""
    replaced_because: str | None = None
    unsupported_claims: tuple[str, ...] = ()


@dataclass
class TurnResult:
    """What one turn produced; ``to_dict`` is the JSON the CLI and the API return."""

    domain: str
    link: LinkResult
    profile: str = ""
    written_profile: Profile | None = None
    """The profile this turn wrote and checked; ``None`` when it reused one (the user's edit or
    an earlier turn's)."""
    candidates: list[str] = field(default_factory=list)
    ranking: list[str] = field(default_factory=list)
    """Every candidate in the final order (LLM and retrieval fused); the first are shown."""
    recommendations: list[Recommendation] = field(default_factory=list)
    selection: Selection | None = None
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    catalog: Catalog | None = None
    model_failure: str | None = None
    """Why the LLM gave no usable answer this turn (it raised or timed out); the rest of the
    turn then ran without it: retrieval order and catalog-fact explanations."""

    @property
    def profile_source(self) -> ExplanationSource | None:
        """Who wrote ``profile``: the model, or catalog facts standing in for a profile the
        check refused; ``None`` when the turn reused one."""
        return self.written_profile.source if self.written_profile else None

    @property
    def profile_replaced_because(self) -> str | None:
        return self.written_profile.replaced_because if self.written_profile else None

    @property
    def profile_model_text(self) -> str:
        return self.written_profile.model_text if self.written_profile else ""

    def title(self, item_id: str | None) -> str | None:
        return self.catalog.get(item_id).label if item_id and self.catalog else None

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "linked": [
                {"input": m.text, "item_id": m.item_id, "title": self.title(m.item_id),
                 "confidence": m.confidence, "method": m.method}
                for m in self.link.mentions
            ],
            "profile": self.profile,
            "profile_source": str(self.profile_source) if self.profile_source else None,
            "profile_replaced_because": self.profile_replaced_because,
            "candidates": list(self.candidates),
            "recommendations": [
                {"id": r.item_id, "title": r.title, "explanation": r.explanation,
                 "explanation_source": str(r.source), "anchor": self.title(r.anchor_id),
                 "unsupported_claims": list(r.unsupported_claims),
                 "replaced_because": r.replaced_because}
                for r in self.recommendations
            ],
            "checks": self._checks(),
            "notices": list(self.notices),
            "model_failure": self.model_failure,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def _checks(self) -> dict:
        reasons = [r.replaced_because for r in self.recommendations]
        selection = ({k: v for k, v in asdict(self.selection).items() if k != "item_ids"}
                     if self.selection else {})
        return {"explanations_checked": len(self.recommendations),
                "explanations_ungrounded": sum(1 for r in self.recommendations
                                               if r.unsupported_claims),
                "explanations_without_fact": reasons.count(NO_FACT),
                "explanations_not_shared": reasons.count(NOT_SHARED),
                "explanations_claiming_shared": reasons.count(CLAIMED_SHARED),
                "explanations_from_llm": reasons.count(None),
                "profile_from_llm": self.profile_source == ExplanationSource.LLM, **selection}


# Events a turn streams, in order.
@dataclass(frozen=True)
class Linked:
    link: LinkResult


@dataclass(frozen=True)
class ProfileDelta:
    text: str


@dataclass(frozen=True)
class ProfileDone:
    profile: str
    source: ExplanationSource | None = None
    """Who wrote the profile this turn; ``None`` when the turn reused one."""


@dataclass(frozen=True)
class Retrieved:
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class Ranked:
    """The picks this turn shows, in order, before any is explained."""

    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class ExplanationStart:
    position: int
    item: Item


@dataclass(frozen=True)
class ExplanationDelta:
    position: int
    text: str


@dataclass(frozen=True)
class Recommended:
    position: int
    recommendation: Recommendation


@dataclass(frozen=True)
class Finished:
    result: TurnResult


Event = (Linked | ProfileDelta | ProfileDone | Retrieved | Ranked | ExplanationStart
         | ExplanationDelta | Recommended | Finished)
