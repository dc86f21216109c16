from dataclasses import replace

import pytest

from recommender.loading import load_domains
from recommender.pipeline import Recommender
from recommender.settings import Settings

from .catalogs import tiny_movies, tiny_products
from .fakes import ScriptedModel, WordHashEmbedder


@pytest.fixture
def settings(tmp_path):
    return replace(Settings.from_env({}), index_dir=tmp_path / "index", candidates=6,
                   recommendations=3, profile_weight=0.0)


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
