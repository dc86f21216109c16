"""Constraints a user states in plain language ("no horror", "from the 90s"), held across turns.

A constraint becomes a Chroma ``where`` filter on the item metadata the index stores (one
``genre:<name>`` flag per genre and the ``year``), and the same rule is checked again on every
candidate (``allows``) so nothing that breaks it is ever shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from recommender.catalog import Item

__all__ = ["Constraints"]


@dataclass(frozen=True)
class Constraints:
    """Genres wanted (an item needs one of them) or excluded, and an inclusive year range."""

    include_genres: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None

    @property
    def empty(self) -> bool:
        return self == Constraints()

    def allows(self, item: Item) -> bool:
        if any(g in item.genres for g in self.exclude_genres):
            return False
        if self.include_genres and not any(g in item.genres for g in self.include_genres):
            return False
        if self.year_min is not None and (item.year is None or item.year < self.year_min):
            return False
        if self.year_max is not None and (item.year is None or item.year > self.year_max):
            return False
        return True

    def where(self) -> dict | None:
        """The Chroma filter, or ``None`` when nothing is constrained."""
        clauses: list[dict] = [{f"genre:{g}": {"$ne": True}} for g in self.exclude_genres]
        if len(self.include_genres) == 1:
            clauses.append({f"genre:{self.include_genres[0]}": True})
        elif self.include_genres:
            clauses.append({"$or": [{f"genre:{g}": True} for g in self.include_genres]})
        if self.year_min is not None:
            clauses.append({"year": {"$gte": self.year_min}})
        if self.year_max is not None:
            clauses.append({"year": {"$lte": self.year_max}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def describe(self) -> list[str]:
        """Short phrases for the UI, e.g. ``["no Horror", "2001 or later"]``."""
        out = [f"no {g}" for g in self.exclude_genres]
        if self.include_genres:
            out.append(" or ".join(self.include_genres))
        if self.year_min is not None and self.year_max is not None:
            out.append(f"{self.year_min}–{self.year_max}")
        elif self.year_min is not None:
            out.append(f"{self.year_min} or later")
        elif self.year_max is not None:
            out.append(f"{self.year_max} or earlier")
        return out

    def updated(self, change: ConstraintChange) -> Constraints:
        """These constraints with a turn's changes applied: lifts first, then additions. A genre
        newly wanted stops being excluded and the other way round."""
        include = [g for g in self.include_genres if g not in change.lift_genres]
        exclude = [g for g in self.exclude_genres if g not in change.lift_genres]
        for genre in change.include_genres:
            exclude = [g for g in exclude if g != genre]
            include = include if genre in include else [*include, genre]
        for genre in change.exclude_genres:
            include = [g for g in include if g != genre]
            exclude = exclude if genre in exclude else [*exclude, genre]
        year_min, year_max = ((None, None) if change.lift_years
                              else (self.year_min, self.year_max))
        if change.year_min is not None or change.year_max is not None:
            year_min, year_max = change.year_min, change.year_max
        return Constraints(tuple(include), tuple(exclude), year_min, year_max)

    def to_dict(self) -> dict:
        return {"include_genres": list(self.include_genres),
                "exclude_genres": list(self.exclude_genres),
                "year_min": self.year_min, "year_max": self.year_max}

    @classmethod
    def from_dict(cls, data: dict, genres: Sequence[str]) -> Constraints:
        """Read back ``to_dict``'s output; ``ValueError`` names what is wrong."""
        known = set(genres)
        lists = {}
        for key in ("include_genres", "exclude_genres"):
            values = data.get(key) or []
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"constraints.{key} must be a list of genre names")
            unknown = [v for v in values if v not in known]
            if unknown:
                raise ValueError(f"constraints.{key} names unknown genres: {', '.join(unknown)}")
            lists[key] = tuple(values)
        years = {}
        for key in ("year_min", "year_max"):
            value = data.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"constraints.{key} must be a whole number or null")
            years[key] = value
        return cls(**lists, **years)


@dataclass(frozen=True)
class ConstraintChange:
    """What one message asks to change."""

    include_genres: tuple[str, ...] = ()
    exclude_genres: tuple[str, ...] = ()
    lift_genres: tuple[str, ...] = ()
    year_min: int | None = None
    year_max: int | None = None
    lift_years: bool = False
    lift_all: bool = False
    notes: list[str] = field(default_factory=list, compare=False)

    def applied_to(self, constraints: Constraints) -> Constraints:
        if self.lift_all:
            constraints = Constraints()
        return constraints.updated(replace(self, lift_all=False))
