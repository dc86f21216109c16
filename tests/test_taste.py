"""Shared taste (``core.taste``): the profile of what typed titles share, and the re-ordering
of a typed reading's list by it, on hand-made facets."""

import pytest

from recommender.catalog import Catalog, Item
from recommender.core.retrieval import HybridRetriever, Steering, TypedReading
from recommender.core.taste import SharedTaste, taste_facets
from recommender.vectors.index import ScoredItem

FACETS = {
    "high noon": frozenset({"Western", "Drama"}),
    "butch": frozenset({"Western", "Action"}),
    "wolves": frozenset({"Western", "Drama", "Adventure"}),
    "schindler": frozenset({"Drama", "War"}),
    "godfather": frozenset({"Drama", "Crime"}),
    "shane": frozenset({"Western", "Drama"}),
    "rio bravo": frozenset({"Western"}),
    "alien": frozenset({"Horror", "Sci-Fi"}),
    "heat": frozenset({"Action", "Crime"}),
    "titanic": frozenset({"Drama", "Romance"}),
}
TASTE = SharedTaste(FACETS)
WESTERNS = ["high noon", "butch", "wolves"]


def hits(pairs):
    return [ScoredItem(i, s) for i, s in pairs]


def test_the_profile_keeps_what_two_or_more_titles_share_weighted_by_rarity():
    profile = TASTE.profile(WESTERNS)
    assert set(profile) == {"Western", "Drama"}       # Action and Adventure: one title each
    assert profile["Western"] > profile["Drama"]       # all three, and rarer in the catalog
    # nothing shared: every facet of every title counts
    assert set(TASTE.profile(["alien", "titanic"])) == {"Horror", "Sci-Fi", "Drama", "Romance"}
    assert set(TASTE.profile(["rio bravo"])) == {"Western"}
    assert TASTE.profile(["unknown"]) == {}


def test_a_candidate_scores_the_share_of_the_profile_it_carries():
    scores = dict(zip(["shane", "rio bravo", "schindler", "alien"],
                      TASTE.scores(WESTERNS, ["shane", "rio bravo", "schindler", "alien"])))
    assert scores["shane"] == pytest.approx(1.0)
    assert scores["rio bravo"] > scores["schindler"] > scores["alien"] == 0.0


def test_rescoring_lifts_the_shared_taste_over_popular_drama_only_at_a_positive_share():
    fused = hits([("schindler", 1.2), ("godfather", 1.1), ("rio bravo", 1.0), ("alien", 0.9),
                  ("shane", 0.8)])
    assert TASTE.rescore(WESTERNS, fused, 0.0) == fused
    # a mild share only moves the taste up; a large one puts it first
    assert [h.item_id for h in TASTE.rescore(WESTERNS, fused, 0.5)][:2] == ["schindler",
                                                                          "rio bravo"]
    order = [h.item_id for h in TASTE.rescore(WESTERNS, fused, 0.8)]
    assert order[:2] == ["shane", "rio bravo"]
    assert order[-1] == "alien"
    # typed titles the taste knows nothing of leave the order as it was
    assert TASTE.rescore(["unknown"], fused, 0.5) == fused


class _Source:
    def __init__(self, scores):
        self._scores = scores

    def __contains__(self, item_id):
        return item_id in self._scores

    def retrieve(self, history_ids, k, exclude=None, steer=None):
        ranked = sorted(self._scores, key=lambda i: -self._scores[i])
        return hits([(i, self._scores[i]) for i in ranked if i not in (exclude or history_ids)])[:k]


class _Content:
    def __init__(self, scored):
        self.scored = scored

    def retrieve(self, history_ids, profile, k, exclude=None, steer=None):
        return self.scored[:k]


def test_the_hybrid_retriever_applies_the_taste_share_chosen_for_the_history_length():
    content = _Content(hits([("schindler", 0.9), ("godfather", 0.8), ("rio bravo", 0.5),
                             ("alien", 0.4), ("shane", 0.3)]))
    item_item = _Source({"schindler": 5.0, "godfather": 4.0, "rio bravo": 1.0, "alien": 0.9,
                         "shane": 0.8})
    reading = TypedReading(item_item, {1: 1.0, 3: 0.6}, TASTE, {3: 0.8})
    hybrid = HybridRetriever(content, _Source({"heat": 1.0}), 1.0, typed=reading)
    assert [h.item_id for h in hybrid.retrieve(WESTERNS, "", 2)] == ["shane", "rio bravo"]
    # one title has no taste share: the item-item order stands
    assert [h.item_id for h in hybrid.retrieve(["high noon"], "", 2)] == ["schindler", "godfather"]
    # "more like this one": the focus item's facets make the profile
    focused = hybrid.retrieve(WESTERNS, "", 1, steer=Steering(focus="alien"))
    assert [h.item_id for h in focused] == ["alien"]
    # without a taste, the typed reading is as before
    plain = HybridRetriever(content, _Source({"heat": 1.0}), 1.0,
                            typed=TypedReading(item_item, {3: 0.6}))
    assert [h.item_id for h in plain.retrieve(WESTERNS, "", 2)] == ["schindler", "godfather"]


def test_taste_facets_are_genres_for_films_and_type_words_for_products():
    film = Item("1", "Shane", genres=("Western", "Drama"), tags=("classic",))
    product = Item("p", "Versace Man Eau Fraiche Edt Spray 3.4 Oz")
    assert taste_facets(film, "movies") == {"Western", "Drama"}
    assert taste_facets(product, "products") == {"perfume"}
    catalog = Catalog("movies", (film,), kind="movies")
    assert SharedTaste.of(catalog).profile(["1"]).keys() == set()  # one item: no rarity at all
