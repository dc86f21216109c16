from pathlib import Path

import pytest

from recommender.errors import SettingsError
from recommender.settings import Settings


def test_defaults_when_nothing_is_set():
    settings = Settings.from_env({})
    assert settings.model_path is None
    assert (settings.candidates, settings.recommendations, settings.threads) == (20, 5, 2)


def test_values_come_from_prefixed_variables():
    settings = Settings.from_env({
        "RECOMMENDER_MODEL_PATH": "/models/x.gguf", "RECOMMENDER_THREADS": "4",
        "RECOMMENDER_CANDIDATES": "30", "RECOMMENDER_RECOMMENDATIONS": "7",
        "RECOMMENDER_DATA_DIR": "/data", "RECOMMENDER_INDEX_DIR": "/idx",
        "RECOMMENDER_DOMAINS": "movies", "RECOMMENDER_PROFILE_WEIGHT": "0.5",
    })
    assert settings.model_path == Path("/models/x.gguf")
    assert (settings.threads, settings.candidates, settings.recommendations) == (4, 30, 7)
    assert settings.data_dir == Path("/data") and settings.index_dir == Path("/idx")
    assert settings.domains == ("movies",) and settings.profile_weight == 0.5


@pytest.mark.parametrize("env, message", [
    ({"RECOMMENDER_THREADS": "two"}, "RECOMMENDER_THREADS='two' is not a valid int"),
    ({"RECOMMENDER_THREADS": "0"}, "RECOMMENDER_THREADS must be at least 1"),
    ({"RECOMMENDER_RECOMMENDATIONS": "25"}, "RECOMMENDER_RECOMMENDATIONS must be between 1"),
    ({"RECOMMENDER_PROFILE_WEIGHT": "2"}, "RECOMMENDER_PROFILE_WEIGHT must be between 0 and 1"),
    ({"RECOMMENDER_LLM_TIMEOUT_S": "0"}, "RECOMMENDER_LLM_TIMEOUT_S must be more than 0"),
    ({"RECOMMENDER_LLM_SERVER_CONSTRAINT": "regex"},
     "RECOMMENDER_LLM_SERVER_CONSTRAINT must be grammar, json_schema or none"),
])
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        Settings.from_env(env)


def test_on_a_hugging_face_space_the_app_listens_on_every_address():
    assert Settings.from_env({}).host == "127.0.0.1"
    assert Settings.from_env({"SPACE_ID": "someone/recommender"}).host == "0.0.0.0"
    assert Settings.from_env({"SPACE_ID": "x/y", "RECOMMENDER_HOST": "127.0.0.2"}).host == \
        "127.0.0.2"


def test_server_settings_are_read():
    settings = Settings.from_env({"RECOMMENDER_CHROMA_URL": "http://db:8000",
                                  "RECOMMENDER_LLM_SERVER_URL": "http://llm:8080/v1",
                                  "RECOMMENDER_LLM_SERVER_CONSTRAINT": "json_schema",
                                  "RECOMMENDER_LLM_TIMEOUT_S": "12.5"})
    assert (settings.chroma_url, settings.llm_server_url) == ("http://db:8000",
                                                              "http://llm:8080/v1")
    assert settings.llm_server_constraint == "json_schema" and settings.llm_timeout_s == 12.5


def test_a_bounded_cache_keeps_the_most_recently_used():
    from recommender.caching import BoundedCache

    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" now the most recent
    cache.put("c", 3)
    assert "b" not in cache and cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2 and cache.get("zzz", 0) == 0
    with pytest.raises(ValueError):
        BoundedCache(0)
