"""One message, understood: the ``Request`` that reading produces and a conversation applies."""

from __future__ import annotations

from dataclasses import dataclass, field

from recommender.core.constraints import ConstraintChange

__all__ = ["Request"]


@dataclass(frozen=True)
class Request:
    """One message, understood."""

    liked_text: tuple[str, ...] = ()
    """Phrases to link to titles the user liked."""
    disliked_text: tuple[str, ...] = ()
    """Phrases to link to titles the user disliked."""
    liked_positions: tuple[int, ...] = ()
    """1-based positions in the last answer the user liked (-1: the last one)."""
    disliked_positions: tuple[int, ...] = ()
    change: ConstraintChange = field(default_factory=ConstraintChange)
    more_like: int | None = None
    why: int | None = None
    different: bool = False
    reset: bool = False
    parsed_by: str = "rules"

    def summary(self) -> dict:
        """The reading as plain data, empty fields left out (phrases with spaces collapsed):
        what tests and the reading benchmark compare."""
        c = self.change
        fields = {"liked_text": [" ".join(t.split()) for t in self.liked_text],
                  "disliked_text": [" ".join(t.split()) for t in self.disliked_text],
                  "liked_positions": list(self.liked_positions),
                  "disliked_positions": list(self.disliked_positions),
                  "include": list(c.include_genres), "exclude": list(c.exclude_genres),
                  "lift": list(c.lift_genres), "year_min": c.year_min, "year_max": c.year_max,
                  "lift_years": c.lift_years, "lift_all": c.lift_all,
                  "more_like": self.more_like, "why": self.why, "different": self.different,
                  "reset": self.reset}
        return {k: v for k, v in fields.items() if v not in ([], None, False)}
