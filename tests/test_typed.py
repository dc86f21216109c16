"""The typed-history protocol on a checkerboard whose right answer is known: two groups of
users, each liking only its own half of the items."""

from collections import Counter

import pytest

from recommender.catalog import Catalog, Item
from recommender.collaborative.interactions import Split, leave_one_out
from recommender.evaluation.ease import ease_models
from recommender.evaluation.typed import (
    evaluate_typed,
    popularity_percentiles,
    typed_cases,
)


def _checkerboard(users: int = 40, items: int = 30, seen: int = 10):
    """Users 0..n/2 like items a0.., the others b0..; each saw ``seen`` of their half."""
    sequences = {}
    for u in range(users):
        side = "a" if u < users // 2 else "b"
        order = [f"{side}{(u + j) % items}" for j in range(seen)]
        sequences[f"u{u}"] = order
    catalog = Catalog("movies", tuple(
        Item(f"{side}{i}", f"{side} film {i}", 2000, ("Comedy",) if side == "a" else ("Horror",),
             popularity=1) for side in "ab" for i in range(items)), kind="movies")
    return leave_one_out(sequences), catalog


class _EaseSystem:
    name, grid = "ease", (None,)

    def __init__(self, splits):
        self.model = ease_models([(*s.history, s.validation) for s in splits], [1.0])[1.0]

    def run(self, typed, exclude, k):
        return self.model.rank(typed, k, exclude)

    def combine(self, run, weight):
        return run


class _OtherSide(_EaseSystem):
    """Recommends the other group's items: taste coherence must see it."""

    name = "wrong"

    def run(self, typed, exclude, k):
        side = "b" if typed[0].startswith("a") else "a"
        return [f"{side}{i}" for i in range(k)]


def test_typed_cases_never_type_the_target_and_mask_the_rest():
    splits, _ = _checkerboard()
    for k in (1, 3, 5):
        cases = typed_cases(splits, None, k, seed=0)
        assert len(cases) == len(splits)
        for case, split in zip(cases, splits):
            assert len(case.typed) == k and len(set(case.typed)) == k
            assert case.target == split.test
            assert case.target not in case.typed and case.target not in case.known
            assert set(case.typed) <= set(case.known)


def test_typed_cases_are_seeded_per_user_and_use_only_liked_items():
    splits, _ = _checkerboard()
    assert typed_cases(splits, None, 3, 0) == typed_cases(splits, None, 3, 0)
    assert typed_cases(splits[:5], None, 3, 0) == typed_cases(splits, None, 3, 0)[:5]
    ratings = {s.user: {i: 5.0 for i in (*s.history, s.validation, s.test)} for s in splits}
    first = splits[0]
    ratings[first.user].update({i: 1.0 for i in first.history[:5]})
    case = typed_cases(splits, ratings, 3, 0)[0]
    assert not set(case.typed) & set(first.history[:5])
    ratings[first.user][first.test] = 2.0  # a disliked target: the user does not count
    assert typed_cases(splits, ratings, 3, 0)[0].user != first.user


def test_a_model_that_knows_the_groups_hits_and_stays_coherent():
    splits, catalog = _checkerboard()
    cases = {k: typed_cases(splits, None, k, 0) for k in (1, 3)}
    percentiles = popularity_percentiles(Counter(), catalog)
    results = evaluate_typed([_EaseSystem(splits), _OtherSide(splits)], cases, cases, catalog,
                             percentiles, progress=False)
    for k in ("1", "3"):
        ease, wrong = results["ease"][k], results["wrong"][k]
        assert ease["HR@10"]["mean"] >= 0.5 and ease["coherence@5"]["mean"] == 1.0
        assert wrong["HR@10"]["mean"] == 0.0 and wrong["coherence@5"]["mean"] == 0.0
        assert ease["users"] == len(splits)


def test_a_weight_is_chosen_on_validation_cases_only():
    splits, catalog = _checkerboard()

    class Weighted(_EaseSystem):
        name, grid = "weighted", (0.0, 1.0)

        def combine(self, run, weight):
            return run if weight == 1.0 else list(reversed(run))

    validation = {3: typed_cases(splits[:10], None, 3, 0)}
    test = {3: typed_cases(splits[10:], None, 3, 0)}
    row = evaluate_typed([Weighted(splits)], validation, test, catalog,
                         popularity_percentiles(Counter(), catalog), progress=False)["weighted"]["3"]
    assert row["weight"] == 1.0 and row["tuning"]["users"] == 10
    assert row["users"] == len(splits) - 10


def test_ease_recommends_within_the_group():
    splits, _ = _checkerboard()
    model = ease_models([(*s.history, s.validation) for s in splits], [1.0])[1.0]
    ranked = model.rank(["a1", "a2"], 5, exclude=["a3"])
    assert ranked and all(i.startswith("a") for i in ranked)
    assert not {"a1", "a2", "a3"} & set(ranked)


def test_popularity_percentiles_run_from_least_to_most_popular():
    _, catalog = _checkerboard(items=3)
    pct = popularity_percentiles(Counter({"a0": 5, "b2": 9}), catalog)
    assert pct["b2"] == 100.0 and pct["a0"] == pytest.approx(80.0)
    assert min(pct.values()) == 0.0


def test_split_is_the_data_class_the_protocol_reads():
    assert Split("u", ("a",), "b", "c").test == "c"


def test_the_taste_system_chooses_a_share_that_lifts_the_typed_taste_on_validation():
    """A retriever that ranks ten of the other group's items first: on the checkerboard, the
    shared-taste step at a positive share brings the typed group's items back, and validation
    picks it."""
    from recommender.core.taste import SharedTaste
    from recommender.evaluation.typed_run import TASTE_GRID, _Taste
    from recommender.vectors.index import ScoredItem

    splits, catalog = _checkerboard()

    class Misled:
        depth = 100

        def retrieve(self, typed, profile, k, exclude=None, steer=None):
            side, other = ("a", "b") if typed[0].startswith("a") else ("b", "a")
            ranked = ([f"{other}{i}" for i in range(10)] + [f"{side}{i}" for i in range(30)] +
                      [f"{other}{i}" for i in range(10, 30)])
            ranked = [i for i in ranked if i not in (exclude or ())]
            return [ScoredItem(i, float(len(ranked) - n)) for n, i in enumerate(ranked)][:k]

    system = _Taste(Misled(), SharedTaste.of(catalog))
    validation = {3: typed_cases(splits[:20] + splits[20:30], None, 3, 0)}
    test = {3: typed_cases(splits[10:20] + splits[30:], None, 3, 0)}
    row = evaluate_typed([system], validation, test, catalog,
                         popularity_percentiles(Counter(), catalog), progress=False)["taste"]["3"]
    assert row["weight"] > 0.0 and row["weight"] in TASTE_GRID
    assert row["tuning"]["by_weight"]["0.0"] == 0.0
    assert row["coherence@5"]["mean"] == 1.0
    assert row["HR@10"]["mean"] > 0.0


def test_the_typed_protocol_names_the_sequence_model_it_holds(tmp_path):
    """Asking for SASRec rows where the folder holds an LRURec says what to ask for instead."""
    from types import SimpleNamespace

    from recommender.core.retrieval import HybridRetriever
    from recommender.errors import RecommenderError
    from recommender.evaluation.typed_run import typed_systems

    lrurec = SimpleNamespace(architecture="lrurec")
    domain = SimpleNamespace(retriever=HybridRetriever(None, lrurec, 1.0), index=None)
    settings = SimpleNamespace(index_dir=tmp_path, collaborative_dir=None)
    with pytest.raises(RecommenderError, match="is lrurec; ask for --systems lrurec, or train"):
        typed_systems(["popularity", "sasrec"], domain, {}, [], "movielens", settings)
