"""Hybrid retrieval's score fusion and the final LLM/retrieval order, on hand-made lists."""

import pytest

from recommender.core.retrieval import fuse
from recommender.core.selection import fuse_ranking
from recommender.vectors.index import ScoredItem


def hits(pairs):
    return [ScoredItem(i, s) for i, s in pairs]


COLLAB = hits([("a", 9.0), ("b", 6.0), ("c", 3.0)])          # z: 1.2247, 0, -1.2247
CONTENT = hits([("c", 0.9), ("d", 0.6), ("a", 0.3)])         # z: 1.2247, 0, -1.2247


def ids(fused):
    return [s.item_id for s in fused]


def test_weight_one_is_collaborative_order_and_zero_is_content_order():
    known = {"a", "b", "c", "d"}.__contains__
    assert ids(fuse(COLLAB, CONTENT, 1.0, known))[:3] == ["a", "b", "c"]
    assert ids(fuse(COLLAB, CONTENT, 0.0, known))[:3] == ["c", "d", "a"]


def test_scores_are_weighted_z_scores_with_a_floor_for_items_outside_a_list():
    fused = {s.item_id: s.score for s in fuse(COLLAB, CONTENT, 0.5, {"a", "b", "c", "d"}.__contains__)}
    z = 1.224745
    assert fused["a"] == pytest.approx(0.5 * z - 0.5 * z, abs=1e-5)
    assert fused["c"] == pytest.approx(0.0, abs=1e-5)
    assert fused["b"] == pytest.approx(0.5 * 0 + 0.5 * -z, abs=1e-5)  # b: content floor
    assert fused["d"] == pytest.approx(0.5 * -z + 0.5 * 0, abs=1e-5)  # d: collaborative floor


def test_an_item_without_a_collaborative_vector_competes_on_content_alone():
    has_vector = {"a", "b", "c"}.__contains__       # "d" is new: nobody interacted with it
    fused = {s.item_id: s.score for s in fuse(COLLAB, CONTENT, 0.5, has_vector)}
    assert fused["d"] == pytest.approx(0.0, abs=1e-5)  # its content z twice, not the floor
    new_item_top = hits([("d", 0.9), ("c", 0.6), ("a", 0.3)])
    assert ids(fuse(COLLAB, new_item_top, 0.9, has_vector))[0] == "d"


def test_without_collaborative_hits_the_order_is_contents():
    assert ids(fuse([], CONTENT, 0.8, lambda _: True)) == ["c", "d", "a"]
    assert ids(fuse(COLLAB, [], 0.8, lambda _: True)) == ["a", "b", "c"]


def test_final_order_follows_the_llm_at_weight_one_and_retrieval_at_zero():
    candidates = ["r1", "r2", "r3", "r4", "r5"]
    assert fuse_ranking(candidates, ["r4", "r2"], 1.0) == ["r4", "r2", "r1", "r3", "r5"]
    assert fuse_ranking(candidates, ["r4", "r2"], 0.0) == candidates
    assert fuse_ranking(candidates, [], 1.0) == candidates


def test_final_order_mixes_both_scores_in_between():
    candidates = ["r1", "r2", "r3", "r4", "r5"]
    # r1: .5*0 + .5*1 = .5; r4: .5*1 + .5*.4 = .7; r2: .5*.5 + .5*.8 = .65; r3: .3; r5: .1
    assert fuse_ranking(candidates, ["r4", "r2"], 0.5) == ["r4", "r2", "r1", "r3", "r5"]
    # r1: .8; r4: .2 + .32 = .52; r2: .1 + .64 = .74
    assert fuse_ranking(candidates, ["r4", "r2"], 0.2) == ["r1", "r2", "r4", "r3", "r5"]
