"""What the app keeps between starts (``startup_cache``): read back while its inputs and the
source are unchanged, built again when either changes or the kept file is damaged, and never in
the way when it cannot be written."""

from __future__ import annotations

import pytest

from recommender.startup_cache import built_once, fingerprint


@pytest.fixture
def source(tmp_path):
    package = tmp_path / "package"
    package.mkdir()
    (package / "module.py").write_text("VALUE = 1\n")
    data = tmp_path / "data.csv"
    data.write_text("a,b\n")
    return package, data


def _counting(result):
    calls = []

    def build():
        calls.append(1)
        return result
    return build, calls


def test_a_kept_value_is_read_back_until_its_data_changes(tmp_path, source):
    package, data = source
    folder = tmp_path / "built"
    build, calls = _counting({"items": [1, 2, 3]})
    assert built_once(folder, "movies", [data], build, package) == {"items": [1, 2, 3]}
    assert built_once(folder, "movies", [data], build, package) == {"items": [1, 2, 3]}
    assert len(calls) == 1
    data.write_text("a,b\n1,2\n")  # the data changed: built again, the old copy removed
    built_once(folder, "movies", [data], build, package)
    assert len(calls) == 2 and len(list(folder.glob("movies-*.pickle"))) == 1


def test_an_edit_of_the_code_builds_it_again(tmp_path, source):
    package, data = source
    before = fingerprint([data], package)
    (package / "module.py").write_text("VALUE = 2\n")
    assert fingerprint([data], package) != before
    (package / "module.py").write_text("VALUE = 1\n")
    assert fingerprint([data], package) == before


def test_a_damaged_file_is_built_again_and_replaced(tmp_path, source, caplog):
    package, data = source
    folder = tmp_path / "built"
    build, calls = _counting([1])
    built_once(folder, "beauty", [data], build, package)
    (kept,) = folder.glob("beauty-*.pickle")
    kept.write_bytes(b"not a pickle")
    assert built_once(folder, "beauty", [data], build, package) == [1] and len(calls) == 2
    assert "could not be read" in caplog.text
    assert built_once(folder, "beauty", [data], build, package) == [1] and len(calls) == 2


def test_a_folder_in_place_of_a_file_only_costs_the_build(tmp_path, source, caplog):
    package, data = source
    folder = tmp_path / "built"
    folder.parent.mkdir(exist_ok=True)
    folder.write_text("a file where the folder should be")
    build, calls = _counting("value")
    assert built_once(folder, "movies", [data], build, package) == "value"
    assert "could not be kept" in caplog.text
