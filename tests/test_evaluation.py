import json
import math
import os
import subprocess
import sys
from collections import Counter

import pytest

from recommender.collaborative.interactions import Split
from recommender.core.retrieval import ContentRetriever
from recommender.evaluation.protocol import evaluate, split_users, validation_splits
from recommender.evaluation.rankers import ContentRanker, PopularityRanker
from recommender.evaluation.report import markdown_table
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


def test_the_table_says_which_runs_were_timed_in_an_earlier_sitting():
    score = {"mean": 0.1, "ci95": [0.0, 0.2]}
    systems = {"fresh": {"HR@10": score, "seconds_per_user": 2.5},
               "partly": {"HR@10": score, "seconds_per_user": 9.1, "runs_resumed": 92},
               "stored": {"HR@10": score, "seconds_per_user": None, "runs_resumed": 300}}
    rows = markdown_table({"systems": systems, "anchors": {}}).splitlines()[2:]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == ["2.5", "9.1 (92 resumed)",
                                                                "resumed"]


def test_user_split_is_seeded_sized_and_disjoint():
    splits = [Split(str(i), ("a",), "b", "c") for i in range(100)]
    reported, tuning = split_users(splits, 10, 20, seed=7)
    assert (len(reported), len(tuning)) == (10, 20)
    assert not {s.user for s in reported} & {s.user for s in tuning}
    assert (reported, tuning) == split_users(splits, 10, 20, seed=7)
    assert reported != split_users(splits, 10, 20, seed=8)[0]
    everyone, tuning = split_users(splits, None, 30, seed=0)
    assert len(everyone) == 70 and {s.user for s in everyone} | {s.user for s in tuning} == \
        {s.user for s in splits}


def test_content_ranker_never_returns_the_sequence(fake_domains):
    ranker = ContentRanker(ContentRetriever(fake_domains["movies"].index, profile_weight=0.0))
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


def _cli_with_models_in(folder):
    """``python -m recommender ...`` with its index and trained models in ``folder``."""
    env = {**os.environ, "RECOMMENDER_INDEX_DIR": str(folder),
           "RECOMMENDER_COLLABORATIVE_DIR": str(folder)}
    return lambda *args: subprocess.run([sys.executable, "-m", "recommender", *args],
                                        cwd=PROJECT_ROOT, env=env, capture_output=True,
                                        text=True, timeout=600)


def test_train_then_evaluate_sasrec_in_small_data_mode(tmp_path):
    run = _cli_with_models_in(tmp_path)
    missing = run("evaluate", "--dataset", "movielens", "--systems", "sasrec", "--users", "5")
    assert missing.returncode == 2
    assert "Train one first: python -m recommender train --dataset movielens" in missing.stderr
    trained = run("train", "--dataset", "movielens", "--model", "sasrec", "--users", "40",
                  "--epochs", "2", "--max-len", "20")
    assert trained.returncode == 0, trained.stderr
    assert "trained sasrec on 40 users" in trained.stdout
    done = run("evaluate", "--dataset", "movielens", "--systems", "sasrec", "--users", "30",
               "--json")
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)["systems"]["sasrec"]
    assert 0.0 <= scores["HR@10"]["mean"] <= 1.0


def test_lrurec_on_llamarecs_preparation_is_trained_and_evaluated_apart(tmp_path):
    run = _cli_with_models_in(tmp_path)
    trained = run("train", "--dataset", "movielens", "--model", "lrurec", "--prep", "llamarec",
                  "--epochs", "1", "--max-len", "20", "--dim", "16")
    assert trained.returncode == 0, trained.stderr
    done = run("evaluate", "--dataset", "movielens", "--prep", "llamarec", "--systems",
               "popularity,lrurec", "--users", "30", "--tune-users", "0", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["preparation"] == "llamarec" and report["of_users"] == 610
    assert report["protocol"].endswith("no tuning users: every system at its fixed weight")
    assert report["sequence_model"]["architecture"] == "lrurec"
    assert set(report["systems"]) == {"popularity", "lrurec"}
    wrong = run("evaluate", "--dataset", "movielens", "--prep", "llamarec", "--systems",
                "sasrec", "--users", "5")
    assert wrong.returncode == 2 and "is lrurec; ask for --systems lrurec" in wrong.stderr
    unprepared = run("evaluate", "--dataset", "movielens", "--systems", "lrurec", "--users", "5")
    assert unprepared.returncode == 2 and "Train one first" in unprepared.stderr


def _cli_on(data_dir, index_dir):
    """``python -m recommender ...`` on the small real data, with only these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECOMMENDER_")}
    env.update(RECOMMENDER_DATA_DIR=str(data_dir), RECOMMENDER_INDEX_DIR=str(index_dir))
    return lambda *args: subprocess.run([sys.executable, "-m", "recommender", *args],
                                        cwd=PROJECT_ROOT, env=env, capture_output=True,
                                        text=True, timeout=900)


@pytest.mark.slow
def test_tiny_end_to_end_evaluation_with_the_real_model(real, tmp_path):
    """Every system on a few users of the small real data: SmolLM2, MiniLM, Chroma, SASRec."""
    run = _cli_on(real.settings.data_dir, tmp_path / "index")
    trained = run("train", "--dataset", "movielens", "--model", "sasrec", "--users", "80",
                  "--epochs", "3", "--max-len", "20")
    assert trained.returncode == 0, trained.stderr
    report_path = tmp_path / "out" / "movielens.md"
    # a first evaluation of the LLM systems keeps each user's run; the full one below reuses them
    started = run("evaluate", "--dataset", "movielens", "--systems", "hybrid,palr,verbalizer",
                  "--users", "3", "--tune-users", "2", "--json", "--resume", str(tmp_path / "runs"))
    assert started.returncode == 0, started.stderr
    first = json.loads(started.stdout)
    assert first["resumed_from"]["runs"] == 0
    done = run("evaluate", "--dataset", "movielens", "--systems",
               "popularity,content,sasrec,hybrid,palr,llmrank,verbalizer", "--users", "3",
               "--tune-users", "2", "--json", "--report", str(report_path), "--save-weights",
               "--resume", str(tmp_path / "runs"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["resumed_from"]["runs"] == 2 + 3 + 3  # palr's tuning and reported, verbalizer's
    systems = report["systems"]
    assert list(systems) == ["popularity", "sasrec", "content", "hybrid", "palr",
                             "palr + fusion", "llmrank", "verbalizer"]
    assert (report["users"], report["tune_users"]) == (3, 2)
    for name, scores in systems.items():
        assert 0 <= scores["HR@10"]["mean"] <= scores["HR@20"]["mean"] <= 1, name
    for name in ("palr", "llmrank"):
        assert systems[name]["out_of_candidate_rate"]["mean"] == 0.0    # the grammar holds
        assert systems[name]["history_repeat_rate"]["mean"] == 0.0
    assert 0 <= systems["palr"]["ungrounded_explanation_rate"]["mean"] <= 1
    assert first["systems"]["palr"]["seconds_per_user"] > 0  # timed where it ran, not resumed
    assert systems["verbalizer"]["seconds_per_user"] is None  # every run resumed: not timed
    assert set(systems["hybrid"]["tuning"]["by_weight"]) == {str(w / 10) for w in range(11)}
    saved = json.loads((tmp_path / "index" / "sasrec-movielens" / "fusion.json").read_text())
    assert saved["collaborative"] == systems["hybrid"]["weight"]
    assert saved["llm"] == systems["palr + fusion"]["weight"]
    table = report_path.read_text()
    assert "| palr + fusion |" in table and "SASRec (published)" in table
    assert table.count(" | resumed |") == 3  # palr, palr + fusion and verbalizer
    # a model trained again retrieves other candidates: its runs are not mixed with these
    assert run("train", "--dataset", "movielens", "--model", "sasrec", "--users", "80",
               "--epochs", "1", "--max-len", "20").returncode == 0
    refused = run("evaluate", "--dataset", "movielens", "--systems", "hybrid,palr", "--users",
                  "3", "--tune-users", "2", "--resume", str(tmp_path / "runs"))
    assert refused.returncode != 0 and "sequence_model" in refused.stderr, refused.stderr
    assert report_path.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for name in ("palr", "palr + fusion", "verbalizer"):  # the stored runs were reused
        assert systems[name]["NDCG@20"] == first["systems"][name]["NDCG@20"], name


def test_validation_splits_move_each_user_back_one_step():
    splits = [Split("u", ("a", "b", "c"), "d", "e"), Split("v", (), "x", "y")]
    assert validation_splits(splits) == [Split("u", ("a", "b"), "c", "d")]


@pytest.mark.slow
def test_weights_chosen_on_validation_items_with_the_tuning_model(real, tmp_path):
    run = _cli_on(real.settings.data_dir, tmp_path / "index")
    small = ("--dataset", "movielens", "--model", "sasrec", "--users", "60", "--epochs", "2",
             "--max-len", "20")
    assert run("train", *small).returncode == 0
    evaluate = ("evaluate", "--dataset", "movielens", "--systems", "sasrec,hybrid", "--users",
                "4", "--tune-on", "validation", "--json")
    missing = run(*evaluate)
    assert missing.returncode == 2
    assert "Train it first: python -m recommender train --dataset movielens --for-tuning" in \
        missing.stderr
    fixed_report = tmp_path / "fixed.md"
    fixed = run(*evaluate, "--hybrid-weight", "1.0", "--report", str(fixed_report))
    assert fixed.returncode == 0, fixed.stderr  # a fixed weight needs no twin
    assert json.loads(fixed.stdout)["systems"]["hybrid"]["weight"] == 1.0
    assert "hybrid's weight fixed at 1.0 (--hybrid-weight), so nothing was tuned" in \
        fixed_report.read_text()
    tuned = run("train", *small, "--for-tuning")
    assert tuned.returncode == 0, tuned.stderr
    assert "sasrec-movielens-tuning" in tuned.stdout
    done = run(*evaluate, "--save-weights")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tune_on"] == "validation" and report["users"] == 4
    assert report["tune_users"] == report["of_users"]  # every user's validation item
    assert report["tuning_model"]["held_out"] == "validation and test items"
    hybrid = report["systems"]["hybrid"]
    assert hybrid["tuning"]["users"] == report["of_users"]
    saved = json.loads((tmp_path / "index" / "sasrec-movielens" / "fusion.json").read_text())
    assert saved["collaborative"] == hybrid["weight"]
    assert saved["chosen_on"].startswith("the validation items of all")
    llm = run("evaluate", "--dataset", "movielens", "--systems", "palr", "--tune-on",
              "validation")
    assert llm.returncode == 2 and "run the LLM systems (palr) with --tune-on users" in llm.stderr


class CountingTunedRanker:
    """A resumable tuned system: the LLM's order is a fixed list, fused with retrieval's."""

    name = "palr"
    grid = (0.0, 1.0)
    rows = {"palr": 1.0, "palr + fusion": None}
    resumable = True

    def __init__(self):
        self.calls = 0

    def run(self, sequence, k):
        from recommender.evaluation.rankers import Run

        self.calls += 1
        return Run((["a", "b", "c"], ["c", "b", "a"], k), {"duplicate_rate": 0.0})

    def combine(self, run, weight):
        retrieval, llm, k = run.payload
        return (llm if weight else retrieval)[:k]


def test_an_interrupted_evaluation_resumes_from_its_stored_runs(tmp_path):
    import pytest

    from recommender.errors import RecommenderError
    from recommender.evaluation.run_store import RunStore

    splits = [Split(f"u{n}", ("x",), "y", "abc"[n % 3]) for n in range(6)]
    identity = {"dataset": "movielens", "seed": 0, "users": [s.user for s in splits]}
    first = CountingTunedRanker()
    fresh = evaluate([first], splits[:3], splits[3:], progress=False,
                     store=RunStore(tmp_path, identity))
    assert first.calls == 6
    with (tmp_path / "palr.jsonl").open("a") as out:
        out.write('{"phase": "report", "user": "u9", "payl')  # cut short by a kill
    again = CountingTunedRanker()
    resumed = evaluate([again], splits[:3], splits[3:], progress=False,
                       store=RunStore(tmp_path, identity))
    assert again.calls == 0 and resumed["palr + fusion"]["runs_resumed"] == 3
    for row in ("palr", "palr + fusion"):
        assert resumed[row]["NDCG@10"] == fresh[row]["NDCG@10"]
        assert resumed[row]["weight"] == fresh[row]["weight"]
    with pytest.raises(RecommenderError, match="differs in seed"):
        RunStore(tmp_path, {**identity, "seed": 1})
    plain = CountingTunedRanker()
    plain.resumable = False  # a system whose runs are not plain JSON is never stored
    evaluate([plain], splits[:3], splits[3:], progress=False, store=RunStore(tmp_path, identity))
    assert plain.calls == 6
