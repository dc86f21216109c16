from dataclasses import replace

from recommender.catalog import Catalog
from recommender.index import ItemIndex, open_client

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
