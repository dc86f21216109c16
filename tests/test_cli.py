"""The JSON command, as a user runs it, on a small copy of the data."""

import json
import os
import subprocess
import sys

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
