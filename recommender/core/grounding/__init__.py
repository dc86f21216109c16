"""Grounding: does an explanation claim only what the catalog holds? (``checker``)"""

from recommender.core.grounding.checker import GroundingChecker
from recommender.core.grounding.guard_words import YEAR_SPAN, wrong_year_starts
from recommender.core.grounding.lints import NOVELTY_STOPS

__all__ = ["GroundingChecker", "NOVELTY_STOPS", "YEAR_SPAN", "wrong_year_starts"]
