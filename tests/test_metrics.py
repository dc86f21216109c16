import math

import pytest

from recommender.evaluation.metrics import bootstrap_ci, hit_rate, mean, mrr, ndcg, rank_of

RANKING = ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("target, k, hr, dcg, rr", [
    ("a", 5, 1.0, 1.0, 1.0),
    ("c", 5, 1.0, 1 / math.log2(4), 1 / 3),
    ("c", 2, 0.0, 0.0, 0.0),          # ranked, but below the cut-off
    ("e", 5, 1.0, 1 / math.log2(6), 1 / 5),
    ("z", 5, 0.0, 0.0, 0.0),          # absent
])
def test_metrics_on_known_rankings(target, k, hr, dcg, rr):
    assert hit_rate(RANKING, target, k) == hr
    assert ndcg(RANKING, target, k) == pytest.approx(dcg)
    assert mrr(RANKING, target, k) == pytest.approx(rr)


def test_empty_ranking_and_ties_count_the_first_place():
    assert (hit_rate([], "a", 10), ndcg([], "a", 10), mrr([], "a", 10)) == (0.0, 0.0, 0.0)
    assert rank_of(["b", "a", "a"], "a") == 2


def test_bootstrap_interval_brackets_the_mean_and_is_repeatable():
    values = [1.0] * 30 + [0.0] * 70
    low, high = bootstrap_ci(values, seed=3)
    assert low < mean(values) < high
    assert (low, high) == bootstrap_ci(values, seed=3)
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)
    assert bootstrap_ci([]) == (0.0, 0.0)
