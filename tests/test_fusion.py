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


class _Content:
    def __init__(self, found):
        self.found = found

    def retrieve(self, history_ids, profile, k, exclude=None, steer=None):
        return self.found[:k]


class _Collaborative:
    def __init__(self, scores):
        self._scores = scores

    def __contains__(self, item_id):
        return item_id in self._scores

    def scores(self, history_ids, item_ids, steer=None):
        return {i: self._scores[i] for i in item_ids if i in self._scores}

    def retrieve(self, history_ids, k, exclude=None, steer=None):
        ranked = sorted(self._scores, key=lambda i: -self._scores[i])
        return hits([(i, self._scores[i]) for i in ranked])[:k]


def test_a_typed_history_is_read_by_the_item_item_model_at_its_own_weight():
    from recommender.core.retrieval import HybridRetriever, TypedReading

    content = _Content(hits([("c", 0.9), ("d", 0.8), ("e", 0.7), ("f", 0.6)]))
    sequence = _Collaborative({"popular": 50.0, "c": 1.0, "d": 3.0, "e": 2.0})
    item_item = _Collaborative({"e": 9.0, "f": 1.0, "c": 0.5, "d": 0.1})
    hybrid = HybridRetriever(content, sequence, 1.0,
                             typed=TypedReading(item_item, {1: 1.0, 3: 0.0}))
    # one title: the item-item model alone (share 1.0), not the sequence model
    assert ids(hybrid.retrieve(["x"], "", 3)) == ["e", "f", "c"]
    # three titles at share 0: content order
    assert ids(hybrid.retrieve(["x", "y", "z"], "", 3)) == ["c", "d", "e"]
    # a count with no typed weight (two, or four): fused with the sequence model as before
    assert ids(hybrid.retrieve(["x", "y"], "", 5))[0] == "popular"
    assert ids(hybrid.retrieve(["w", "x", "y", "z"], "", 5))[0] == "popular"
