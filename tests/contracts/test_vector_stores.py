"""The vector-store contract, held against the three places an ``ItemIndex`` can live: Chroma on
disk (the app's own index), in memory (an uploaded catalog) and a Chroma server (a deployment).
Each must give the known right answer on a catalog whose neighbours are known: the items of one
genre share their words, so an item's nearest neighbours are the others of its genre; a ``where``
filter keeps to what it names; excluded items never come back; the stored vectors are the ones
embedded; a current index is opened, not built again; a dropped one is gone."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.catalog import Catalog, Item
from recommender.vectors.index import ItemIndex
from recommender.vectors.store import open_client, open_memory_client

from ..fakes import WordHashEmbedder

GENRES = {"Western": "cowboy ranch saloon sheriff", "Musical": "song dance stage chorus",
          "War": "soldier battle trench platoon"}


def _catalog() -> Catalog:
    """Four films of each genre, their descriptions the genre's words (and a word of their own)."""
    items = []
    for g, (genre, words) in enumerate(GENRES.items()):
        for n in range(4):
            number = g * 4 + n + 1
            items.append(Item(str(number), f"Film {number}", 1990 + number, (genre,),
                              description=f"{words} film{number}"))
    return Catalog("checker", tuple(items), kind="movies")


@pytest.fixture(params=["disk", "memory", "server"])
def client(request, tmp_path):
    if request.param == "disk":
        return open_client(tmp_path / "index")
    if request.param == "memory":
        return open_memory_client()
    chroma_url, _llm_url = request.getfixturevalue("servers")
    return open_client(tmp_path, chroma_url)


@pytest.fixture
def index(client):
    built = ItemIndex(client, _catalog(), WordHashEmbedder(), "word-hash")
    built.ensure(progress=False)
    yield built
    built.drop()


def test_the_nearest_items_are_those_of_the_same_genre(index):
    for item in index.catalog.items:
        vector = index.vectors([item.item_id])[0]
        hits = index.search(vector, 4)
        assert hits[0].item_id == item.item_id and hits[0].score == pytest.approx(1.0, abs=1e-4)
        assert {index.catalog.get(h.item_id).genres for h in hits} == {item.genres}
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_filter_keeps_to_what_it_names_and_excluded_items_stay_out(index):
    western = index.vectors(["1"])[0]
    hits = index.search(western, 4, exclude=["2"], where={"genre:War": True})
    assert [index.catalog.get(h.item_id).genres for h in hits] == [("War",)] * 4
    assert {h.item_id for h in index.search(western, 2, exclude=["1", "2"])} == {"3", "4"}
    later = index.search(western, 12, where={"year": {"$gte": 2000}})
    assert {h.item_id for h in later} == {"10", "11", "12"}


def test_the_stored_vectors_are_the_embedded_ones(index):
    embedder = WordHashEmbedder()
    item = index.catalog.get("5")
    stored = index.vectors(["5", "nope", "1"])
    assert stored.shape == (2, embedder.dimensions)
    assert np.allclose(stored[0], embedder.embed_query(item.document()), atol=1e-6)


def test_a_current_index_is_opened_not_built_again_and_a_dropped_one_is_gone(client, index):
    again = ItemIndex(client, index.catalog, WordHashEmbedder(), "word-hash")
    assert again.ensure(progress=False) is False
    other_embedder = ItemIndex(client, index.catalog, WordHashEmbedder(), "another-embedder")
    assert other_embedder.ensure(progress=False) is True  # vectors of another embedder: rebuilt
    other_embedder.drop()
    assert "items-checker" not in {c.name for c in client.list_collections()}
