"""The content-aware item-item model of typed histories, on hand-made data whose answer is
known: two groups of users who like disjoint groups of items."""

import numpy as np
import pytest

from recommender.catalog import Item
from recommender.collaborative.item_item import (
    ItemItemConfig,
    ItemItemModel,
    fit_item_item,
    item_facets,
    neighbour_sets,
)
from recommender.core.retrieval import Steering

WESTERNS = ["w1", "w2", "w3", "w4"]
MUSICALS = ["m1", "m2", "m3", "m4"]
VOCABULARY = [*WESTERNS, *MUSICALS, "w-cold", "m-cold"]
USERS = [WESTERNS[:3], WESTERNS[1:], WESTERNS[::2] + ["w2"], MUSICALS[:3], MUSICALS[1:],
         MUSICALS[::2] + ["m2"]]
FACETS = {**{i: {"Western"} for i in (*WESTERNS, "w-cold")},
          **{i: {"Musical"} for i in (*MUSICALS, "m-cold")}}
NO_SIDE = ItemItemConfig(regularization=1.0, facet_weight=0.0, neighbour_weight=0.0, keep=9)


def ids(hits):
    return [h.item_id for h in hits]


def test_a_typed_title_brings_its_own_group_first():
    model = fit_item_item(VOCABULARY, USERS, {}, None, NO_SIDE)
    assert set(ids(model.retrieve(["w1"], 2))) == {"w2", "w3"}
    assert set(ids(model.retrieve(["m2"], 3))) == {"m1", "m3", "m4"}


def test_facets_give_an_item_no_one_interacted_with_a_place_beside_its_kind():
    plain = fit_item_item(VOCABULARY, USERS, {}, None, NO_SIDE)
    assert plain.scores(["w1", "w2"], ["w-cold"]) == {"w-cold": 0.0}
    side = fit_item_item(VOCABULARY, USERS, FACETS, None,
                         ItemItemConfig(regularization=1.0, facet_weight=1.0,
                                        neighbour_weight=0.0, keep=9))
    top = ids(side.retrieve(["w1", "w2"], 3))
    assert "w-cold" in top and not set(top) & {*MUSICALS, "m-cold"}


def test_neighbour_sets_of_the_index_vectors_do_the_same_without_facets():
    vectors = np.asarray([[1.0, 0.1 * n] for n in range(4)] + [[0.1 * n, 1.0] for n in range(4)]
                         + [[1.0, 0.15], [0.15, 1.0]])
    sets = neighbour_sets(vectors, 2)
    assert [sorted(map(int, s)) for s in sets][8] == [1, 2, 8]
    model = fit_item_item(VOCABULARY, USERS, {}, vectors,
                          ItemItemConfig(regularization=1.0, facet_weight=0.0,
                                         neighbour_weight=1.0, neighbours=2, keep=9))
    scores = model.scores(["w1", "w2"], ["w-cold", "m-cold"])
    assert scores["w-cold"] > scores["m-cold"]


def test_each_row_keeps_its_largest_weights_only():
    full = fit_item_item(VOCABULARY, USERS, FACETS, None, ItemItemConfig(keep=9))
    pruned = fit_item_item(VOCABULARY, USERS, FACETS, None, ItemItemConfig(keep=2))
    assert pruned.neighbours_kept == 2 and full.neighbours_kept > 2
    row = full.scores(["w1"], VOCABULARY)
    kept = pruned.scores(["w1"], VOCABULARY)
    best = sorted((i for i in VOCABULARY if i != "w1"), key=lambda i: -row[i])[:2]
    assert {i for i, s in kept.items() if s != 0.0} == set(best)


def test_history_and_exclusions_never_come_back():
    model = fit_item_item(VOCABULARY, USERS, FACETS, None, ItemItemConfig(keep=9))
    assert not {"w1"} & set(ids(model.retrieve(["w1"], 9)))
    assert not {"w1", "w2"} & set(ids(model.retrieve(["w1"], 9, exclude=["w1", "w2"])))
    assert model.retrieve(["unknown"], 5) == [] and model.scores(["unknown"], ["w1"]) == {}


def test_steering_moves_toward_the_focus_and_away_from_dislikes():
    model = fit_item_item(VOCABULARY, USERS, FACETS, None, ItemItemConfig(keep=9))
    mixed = ["w1", "m1"]
    focused = model.scores(mixed, VOCABULARY, Steering(focus="m2"))
    plain = model.scores(mixed, VOCABULARY)
    assert focused["m3"] - focused["w3"] > plain["m3"] - plain["w3"]
    away = model.scores(mixed, VOCABULARY, Steering(avoid=("m2",)))
    assert away["m3"] - away["w3"] < plain["m3"] - plain["w3"]


def test_saved_and_loaded_it_ranks_the_same(tmp_path):
    model = fit_item_item(VOCABULARY, USERS, FACETS, None, ItemItemConfig(keep=4))
    model.save(tmp_path / "item_item.npz", {"users": len(USERS)})
    loaded = ItemItemModel.load(tmp_path / "item_item.npz")
    assert loaded.config == model.config
    for history in (["w1"], ["m1", "m3"], ["w2", "m2"]):
        assert loaded.retrieve(history, 5) == model.retrieve(history, 5)
    served = ItemItemModel.load(tmp_path / "item_item.npz", catalog={"w1", "w2", "w3", "m1"})
    assert set(ids(served.retrieve(["w1"], 9))) <= {"w2", "w3", "m1"}
    assert "w4" not in served and served.scores(["w4"], ["w1"]) == {}


def test_a_corrupt_model_file_gets_a_message_saying_what_to_do(tmp_path):
    from recommender.errors import RecommenderError

    (tmp_path / "item_item.npz").write_bytes(b"not a model")
    with pytest.raises(RecommenderError, match="cannot be read .*Fit it again: python -m "
                                               "recommender train --dataset"):
        ItemItemModel.load(tmp_path / "item_item.npz")


@pytest.mark.parametrize("item, kind, expected", [
    (Item("1", "Unforgiven", genres=("Drama", "Western"), tags=("clint eastwood",)), "movies",
     {"Drama", "Western", "clint eastwood"}),
])
def test_a_films_facets_are_its_genres_and_tags(item, kind, expected):
    assert item_facets(item, kind) == expected


def test_a_products_facets_are_its_product_types():
    assert item_facets(Item("b", "Burt's Bees Lip Balm, 0.15 Ounce"), "products") == \
        {"lip balm"}
