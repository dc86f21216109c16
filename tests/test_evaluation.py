import json
import math
import subprocess
import sys
from collections import Counter


from recommender.evaluation import ContentRanker, PopularityRanker, evaluate, sample_users
from recommender.interactions import Split
from recommender.settings import PROJECT_ROOT


class FixedRanker:
    name = "fixed"

    def __init__(self, ranking):
        self.ranking = ranking
        self.seen = []

    def rank(self, sequence, k):
        self.seen.append(list(sequence))
        return [i for i in self.ranking if i not in sequence][:k]


def test_popularity_ranks_by_count_and_skips_the_sequence():
    ranker = PopularityRanker(Counter({"a": 5, "b": 3, "c": 9, "d": 1}))
    assert ranker.rank(["c"], 2) == ["a", "b"]
    assert ranker.rank([], 10) == ["c", "a", "b", "d"]


def test_evaluate_scores_the_test_item_from_history_plus_validation():
    splits = [Split("u1", ("x",), "y", "b"), Split("u2", ("x",), "y", "zzz")]
    ranker = FixedRanker(["a", "b", "c"])
    result = evaluate([ranker], splits, progress=False)["fixed"]
    assert ranker.seen == [["x", "y"], ["x", "y"]]          # the validation item is input
    assert result["HR@5"]["mean"] == 0.5                    # u1 hits at rank 2, u2 misses
    assert result["NDCG@5"]["mean"] == round(0.5 / math.log2(3), 4)
    assert result["MRR@20"]["mean"] == 0.25
    assert result["HR@5"]["ci95"][0] <= 0.5 <= result["HR@5"]["ci95"][1]
    assert result["seconds_per_user"] >= 0


def test_sampling_is_seeded_and_sized():
    splits = [Split(str(i), ("a",), "b", "c") for i in range(100)]
    first = sample_users(splits, 10, seed=7)
    assert len(first) == 10 and first == sample_users(splits, 10, seed=7)
    assert first != sample_users(splits, 10, seed=8)
    assert sample_users(splits, None, seed=0) == splits


def test_content_ranker_never_returns_the_sequence(fake_domains):
    ranker = ContentRanker(fake_domains["movies"].index)
    ranking = ranker.rank(["1", "3"], 5)
    assert len(ranking) == 5 and not {"1", "3"} & set(ranking)


def test_evaluate_command_prints_metrics_with_anchors():
    done = subprocess.run(
        [sys.executable, "-m", "recommender", "evaluate", "--dataset", "movielens", "--systems",
         "popularity", "--users", "50", "--seed", "1", "--json"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["users"], report["of_users"]) == (50, 610)
    scores = report["systems"]["popularity"]
    assert set(scores) >= {"HR@5", "HR@10", "HR@20", "NDCG@10", "MRR@20",
                           "retrieval_recall@50", "seconds_per_user"}
    assert report["anchors"]["SASRec"] == {"HR@10": 0.0993, "NDCG@10": 0.0522}


def test_train_then_evaluate_sasrec_in_small_data_mode(tmp_path):
    env = {**__import__("os").environ, "RECOMMENDER_INDEX_DIR": str(tmp_path)}
    run = lambda *args: subprocess.run([sys.executable, "-m", "recommender", *args],  # noqa: E731
                                       cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                                       timeout=600)
    missing = run("evaluate", "--dataset", "movielens", "--systems", "sasrec", "--users", "5")
    assert missing.returncode == 2
    assert "Train one first: python -m recommender train --dataset movielens" in missing.stderr
    trained = run("train", "--dataset", "movielens", "--users", "40", "--epochs", "2",
                  "--max-len", "20")
    assert trained.returncode == 0, trained.stderr
    assert "trained on 40 users" in trained.stdout
    done = run("evaluate", "--dataset", "movielens", "--systems", "sasrec", "--users", "30",
               "--json")
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)["systems"]["sasrec"]
    assert 0.0 <= scores["HR@10"]["mean"] <= 1.0
