from recommender.collaborative.interactions import Split, leave_one_out, load_sequences, popularity
from recommender.settings import PROJECT_ROOT


def test_leave_one_out_keeps_time_order():
    splits = leave_one_out({"u1": ["a", "b", "c", "d"], "u2": ["x", "y"], "u3": ["p", "q", "r"]})
    assert splits == [Split("u1", ("a", "b"), "c", "d"), Split("u3", ("p",), "q", "r")]


def test_popularity_counts_only_training_items():
    splits = leave_one_out({"u1": ["a", "b", "c", "d"], "u3": ["a", "q", "r"]})
    assert popularity(splits) == {"a": 2, "b": 1}
    assert popularity(splits, include_validation=True) == {"a": 2, "b": 1, "c": 1, "q": 1}


def test_real_data_sets_match_their_published_counts():
    movielens = load_sequences("movielens", PROJECT_ROOT / "data")
    assert len(movielens) == 610 and sum(map(len, movielens.values())) == 100_836
    beauty = load_sequences("beauty", PROJECT_ROOT / "data")
    assert len(beauty) == 22_363 and sum(map(len, beauty.values())) == 198_502
    assert min(map(len, beauty.values())) >= 5
