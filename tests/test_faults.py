"""The app refuses to start, with the setting to fix named, when what it needs is broken.

Each case starts ``python app.py`` for real; it must stop with exit status 2 before serving.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from recommender.models.packaged import default_gguf_path
from recommender.settings import PROJECT_ROOT

from .real_stack import free_port


def _truncated_model(folder):
    path = folder / "truncated.gguf"
    with default_gguf_path().open("rb") as handle:
        path.write_bytes(handle.read(1_000_000))
    return path


def _random_bytes(folder):
    path = folder / "random.gguf"
    path.write_bytes(os.urandom(5000))
    return path


CASES = {
    "model missing": (lambda folder: {"RECOMMENDER_MODEL_PATH": str(folder / "gone.gguf")},
                      "No model file at .*gone.gguf. Set RECOMMENDER_MODEL_PATH"),
    "model truncated": (lambda folder: {"RECOMMENDER_MODEL_PATH": str(_truncated_model(folder))},
                        "llama.cpp could not load .*point RECOMMENDER_MODEL_PATH"),
    "model not a GGUF": (lambda folder: {"RECOMMENDER_MODEL_PATH": str(_random_bytes(folder))},
                         "llama.cpp could not load .*point RECOMMENDER_MODEL_PATH"),
    "LLM server down": (lambda folder: {
        "RECOMMENDER_LLM_SERVER_URL": f"http://127.0.0.1:{free_port()}/v1"},
        "does not answer .*unset RECOMMENDER_LLM_SERVER_URL"),
    "Chroma server down": (lambda folder: {
        "RECOMMENDER_CHROMA_URL": f"http://127.0.0.1:{free_port()}"},
        "Chroma server .* does not answer .*unset RECOMMENDER_CHROMA_URL"),
    "bad setting": (lambda folder: {"RECOMMENDER_THREADS": "many"},
                    "RECOMMENDER_THREADS='many' is not a valid int"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_app_refuses_to_start_and_names_the_setting(tmp_path, case):
    make_env, message = CASES[case]
    env = {**os.environ, "RECOMMENDER_INDEX_DIR": str(tmp_path / "index"),
           "RECOMMENDER_PORT": str(free_port()), **make_env(tmp_path)}
    done = subprocess.run([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and re.search(message, errors[0]), errors
    assert "Traceback" not in done.stderr
