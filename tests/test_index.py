import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from recommender.catalog import Catalog
from recommender.settings import PROJECT_ROOT
from recommender.vectors.index import ItemIndex
from recommender.vectors.store import open_client

from .catalogs import tiny_movies
from .fakes import WordHashEmbedder


def test_index_is_reused_then_rebuilt_when_the_catalog_changes(tmp_path):
    catalog = tiny_movies()
    client = open_client(tmp_path)
    assert ItemIndex(client, catalog, WordHashEmbedder(), "w").ensure(progress=False) is True
    again = ItemIndex(open_client(tmp_path), catalog, WordHashEmbedder(), "w")
    assert again.ensure(progress=False) is False
    changed = Catalog("movies", (replace(catalog.items[0], tags=("new",)),) + catalog.items[1:])
    assert ItemIndex(client, changed, WordHashEmbedder(), "w").ensure(progress=False) is True
    assert ItemIndex(client, changed, WordHashEmbedder(), "other").ensure(progress=False) is True


def test_search_excludes_and_ranks_by_similarity(tmp_path):
    index = ItemIndex(open_client(tmp_path), tiny_movies(), WordHashEmbedder(), "w")
    index.ensure(progress=False)
    query = index.vectors(["1"])[0]
    hits = index.search(query, 3)
    assert hits[0].item_id == "1" and hits[0].score > 0.99
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "1" not in [h.item_id for h in index.search(query, 3, exclude=["1"])]


def _many_movies(count: int) -> Catalog:
    """Enough items for Chroma to write its vector files (it keeps small collections in SQLite)."""
    base = tiny_movies().items
    return Catalog("movies", tuple(
        replace(base[n % len(base)], item_id=str(n + 1), title=f"{base[n % len(base)].title} {n}")
        for n in range(count)), kind="movies")


def test_a_deleted_index_folder_is_built_again_on_the_next_start(tmp_path):
    folder = tmp_path / "index"
    ItemIndex(open_client(folder), _many_movies(400), WordHashEmbedder(), "w").ensure(False)
    shutil.rmtree(folder)
    assert _restart(folder) == ["rebuilt", "found"]


def test_a_store_that_is_not_a_database_is_set_aside_and_built_again(tmp_path, caplog):
    folder = tmp_path / "index"
    (folder / "sasrec-movielens").mkdir(parents=True)
    (folder / "sasrec-movielens" / "sasrec.pt").write_bytes(b"trained weights")
    (folder / "chroma.sqlite3").write_bytes(b"this is not a database")
    index = ItemIndex(open_client(folder), tiny_movies(), WordHashEmbedder(), "w")
    assert index.ensure(progress=False) is True
    assert index.search(index.vectors(["4"])[0], 1)[0].item_id == "4"
    (aside,) = folder.glob("damaged-*")
    assert (aside / "chroma.sqlite3").read_bytes() == b"this is not a database"  # kept, moved
    assert (folder / "sasrec-movielens" / "sasrec.pt").read_bytes() == b"trained weights"
    assert "could not be opened" in caplog.text


@pytest.mark.parametrize("damage", ["vector files", "half the database"])
def test_a_damaged_index_still_answers_after_a_restart(tmp_path, damage):
    folder = tmp_path / "index"
    assert ItemIndex(open_client(folder), _many_movies(400), WordHashEmbedder(), "w").ensure(False)
    if damage == "vector files":
        segments = [f for d in folder.iterdir() if d.is_dir() for f in d.iterdir()]
        assert segments, "Chroma wrote no vector files; the test needs more items"
        for file in segments:
            file.write_bytes(b"\0garbage")
    else:
        database = folder / "chroma.sqlite3"
        database.write_bytes(database.read_bytes()[: database.stat().st_size // 2])
    outcome = _restart(folder)
    if damage == "vector files":  # Chroma rebuilds these from its database by itself
        assert outcome[-1] == "found", outcome
    else:
        assert outcome == ["rebuilt", "found"] and len(list(folder.glob("damaged-*"))) == 1


def _restart(folder) -> list[str]:
    """Open the index in a fresh process, as the app does after a restart (Chroma keeps the
    stores a process has opened), and search it."""
    probe = subprocess.run([sys.executable, "-c", _REOPEN.format(folder=str(folder))],
                           capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert probe.returncode == 0, probe.stderr[-3000:]
    return probe.stdout.split()


_REOPEN = """
from pathlib import Path
from recommender.vectors.index import ItemIndex
from recommender.vectors.store import open_client
from tests.fakes import WordHashEmbedder
from tests.test_index import _many_movies
index = ItemIndex(open_client(Path({folder!r})), _many_movies(400), WordHashEmbedder(), "w")
print("rebuilt" if index.ensure(progress=False) else "reused")
print("found" if index.search(index.vectors(["7"])[0], 1)[0].item_id == "7" else "lost")
"""
