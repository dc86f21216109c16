from dataclasses import replace

import pytest

from recommender.core.pipeline import Recommender
from recommender.loading import load_domains, load_recommender
from recommender.settings import Settings

from .catalogs import tiny_movies, tiny_products
from .fakes import ScriptedModel, WordHashEmbedder
from .real_stack import launch, write_small_data


REAL_FIXTURES = frozenset({"real", "server", "servers", "study_url", "busy_app", "trained",
                           "real_model", "base_model", "minilm"})
"""Fixtures that load the real model, embedder, index or servers: a test using one is ``real``."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tiers a test belongs to from what it uses: ``browser`` for Chromium's page,
    ``real`` for the real stack (``REAL_FIXTURES``); ``slow`` is marked where measured."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if "page" in used:
            item.add_marker(pytest.mark.browser)
        if used & REAL_FIXTURES or "page" in used:
            item.add_marker(pytest.mark.real)


@pytest.fixture
def settings(tmp_path):
    return replace(Settings.from_env({}), index_dir=tmp_path / "index", candidates=6,
                   recommendations=3, profile_weight=0.0,
                   collaborative_dir=tmp_path / "no-models")


@pytest.fixture
def fake_domains(settings):
    catalogs = {"movies": tiny_movies(), "beauty": tiny_products()}
    return load_domains(settings, WordHashEmbedder(), "word-hash", catalogs, progress=False)


@pytest.fixture
def model():
    return ScriptedModel()


@pytest.fixture
def recommender(settings, model, fake_domains):
    return Recommender(settings, model, fake_domains)


@pytest.fixture(scope="session")
def real(tmp_path_factory):
    """The real stack (SmolLM2, MiniLM, Chroma on disk) over a few hundred real catalog rows."""
    folder = tmp_path_factory.mktemp("real")
    settings = replace(Settings.from_env({}), data_dir=write_small_data(folder / "data"),
                       index_dir=folder / "index", collaborative_dir=folder / "no-models")
    return load_recommender(settings, progress=False)


@pytest.fixture(scope="module")
def server(real):
    """The chat app on the real stack, served on a free loopback port."""
    import app

    demo = app.build_app(real)
    yield launch(demo)
    demo.close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """A Chroma server and an LLM server (the bundled SmolLM2), both on loopback: (chroma URL,
    LLM URL)."""
    from recommender.local_servers import local_servers

    with local_servers(tmp_path_factory.mktemp("servers"), threads=2,
                       context_tokens=2048) as running:
        yield running.chroma_url, running.llm_url
