"""The JSON command, as a user runs it, on a small copy of the data."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.settings import PROJECT_ROOT

from .real_stack import write_small_data


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    return {**os.environ, "RECOMMENDER_DATA_DIR": str(write_small_data(folder / "data")),
            "RECOMMENDER_INDEX_DIR": str(folder / "index")}


def _run(env, *args):
    return subprocess.run([sys.executable, "-m", "recommender", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_recommend_json(env):
    done = _run(env, "recommend", "--domain", "movies", "--json", "Alien", "Blade Runner",
                "The Matrix", "Nonexistent Film Xyz")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [row["title"] for row in data["linked"]] == [
        "Alien (1979)", "Blade Runner (1982)", "The Matrix (1999)", None]
    assert set(data) >= {"linked", "profile", "candidates", "recommendations", "timings"}
    assert len(data["recommendations"]) == 5
    assert {r["id"] for r in data["recommendations"]} <= set(data["candidates"])


def test_unknown_domain_is_a_clear_error(env):
    done = _run(env, "recommend", "--domain", "books", "--json", "Alien")
    assert done.returncode == 2
    assert json.loads(done.stdout) == {
        "error": "Unknown domain 'books'. Choose one of: movies, beauty."}


def test_bad_setting_names_the_variable(env):
    done = _run({**env, "RECOMMENDER_THREADS": "many"}, "recommend", "Alien")
    assert done.returncode == 2
    assert "RECOMMENDER_THREADS='many' is not a valid int" in done.stderr


def test_missing_model_file_names_the_setting(env, tmp_path):
    done = _run({**env, "RECOMMENDER_MODEL_PATH": str(tmp_path / "none.gguf")}, "recommend",
                "Alien")
    assert done.returncode == 2
    assert "Set RECOMMENDER_MODEL_PATH to a .gguf file" in done.stderr


@pytest.mark.slow
def test_a_conversation_carries_across_calls_in_a_state_file(env, tmp_path):
    state = tmp_path / "state.json"
    first = _run(env, "recommend", "--json", "--state", str(state), "--message",
                 "I loved Alien, Zombieland and 28 Days Later")
    assert first.returncode == 0, first.stderr
    assert json.loads(state.read_text())["liked"] == json.loads(first.stdout)["state"]["liked"]
    second = _run(env, "recommend", "--json", "--state", str(state), "--message", "no horror")
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    assert data["state"]["constraints"]["exclude_genres"] == ["Horror"]
    assert len(data["state"]["liked"]) == 3 and data["recommendations"]
    assert json.loads(state.read_text()) == data["state"]


def test_a_broken_state_file_is_named_and_left_alone(env, tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    done = _run(env, "recommend", "--json", "--state", str(state), "--message", "Alien")
    assert done.returncode == 2
    assert f"--state {state} cannot be read as JSON" in json.loads(done.stdout)["error"]
    assert state.read_text() == "{not json"


def test_train_chooses_epochs_on_validation_items(env):
    done = _run(env, "train", "--dataset", "movielens", "--model", "sasrec", "--users", "40",
                "--epochs", "2", "--max-len", "20", "--validate-every", "1")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["epoch", "validation", "HR@10", "NDCG@10", "seconds"]
    epochs = [int(line.split()[0]) for line in lines[1:3]]
    assert epochs == [1, 2]
    assert all(0.0 <= float(v) <= 1.0 for line in lines[1:3] for v in line.split()[1:3])
    assert lines[3].startswith("best: ")


def test_train_fits_lrurec_on_llamarecs_preparation_in_its_own_folder(env):
    done = _run(env, "train", "--dataset", "movielens", "--model", "lrurec", "--prep",
                "llamarec", "--users", "20", "--epochs", "1", "--max-len", "10", "--dim", "16")
    assert done.returncode == 0, done.stderr
    folder = Path(env["RECOMMENDER_INDEX_DIR"]) / "sasrec-movielens-llamarec"
    meta = json.loads((folder / "lrurec.json").read_text())
    assert meta["architecture"] == "lrurec" and meta["preparation"] == "llamarec"
    assert meta["config"]["dim"] == 16 and meta["users"] == 20
    assert not (Path(env["RECOMMENDER_INDEX_DIR"]) / "sasrec-movielens").exists()
    curve = _run(env, "train", "--dataset", "movielens", "--model", "lrurec", "--members", "2",
                 "--users", "20", "--epochs", "2", "--max-len", "10", "--dim", "16",
                 "--validate-every", "1")
    assert curve.returncode == 0, curve.stderr
    rows = [line.split() for line in curve.stdout.splitlines()[1:-1]]
    assert [row[0] for row in rows] == ["2"]  # the ensemble, scored once at its last epoch
    refused = _run(env, "train", "--dataset", "movielens", "--model", "lrurec", "--heads", "2")
    assert refused.returncode != 0 and "--heads is not a setting of lrurec" in refused.stderr


def test_train_fits_the_architecture_the_app_serves_unless_told(env):
    done = _run(env, "train", "--dataset", "movielens", "--users", "20", "--epochs", "1",
                "--max-len", "10", "--dim", "16", "--members", "1")
    assert done.returncode == 0, done.stderr
    assert "trained lrurec on 20 users" in done.stdout  # MovieLens's app serves LRURec
    folder = Path(env["RECOMMENDER_INDEX_DIR"]) / "sasrec-movielens"
    assert (folder / "lrurec.pt").is_file() and not (folder / "sasrec.pt").exists()


def test_train_takes_the_model_shape_and_saves_it(env):
    done = _run(env, "train", "--dataset", "movielens", "--model", "sasrec", "--users", "30",
                "--epochs", "1", "--max-len", "10", "--dim", "16", "--blocks", "1", "--heads", "2",
                "--dropout", "0.3", "--weight-decay", "0.01", "--seed", "5", "--for-tuning")
    assert done.returncode == 0, done.stderr
    meta = json.loads((Path(env["RECOMMENDER_INDEX_DIR"]) / "sasrec-movielens-tuning" /
                       "sasrec.json").read_text())
    assert {k: meta["config"][k] for k in ("dim", "blocks", "heads", "dropout", "weight_decay",
                                           "seed")} == {"dim": 16, "blocks": 1, "heads": 2,
                                                        "dropout": 0.3, "weight_decay": 0.01,
                                                        "seed": 5}


def test_train_fits_the_item_item_model_of_typed_histories(env, tmp_path):
    from recommender.collaborative.item_item import ItemItemModel

    done = _run(env, "train", "--dataset", "movielens", "--model", "item-item", "--users", "30",
                "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert f"saved to {tmp_path}" in done.stdout
    model = ItemItemModel.load(tmp_path / "item_item.npz")
    assert model.retrieve(["1"], 5) and "1" in model
    refused = _run(env, "train", "--dataset", "movielens", "--model", "item-item",
                   "--epochs", "2")
    assert refused.returncode != 0
    assert "--epochs is for the sequence models" in refused.stderr


@pytest.mark.parametrize("args, message", [
    (["--heads", "3"], "--heads (3) must divide --dim (64)"),
    (["--dropout", "1"], "--dropout must be from 0 up to (not including) 1"),
    (["--weight-decay", "-1"], "--weight-decay must be 0 or more"),
    (["--dim", "0"], "--dim must be at least 1"),
])
def test_train_refuses_a_shape_that_cannot_work(env, args, message):
    done = _run(env, "train", "--dataset", "movielens", "--model", "sasrec", "--users", "5",
                *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr
