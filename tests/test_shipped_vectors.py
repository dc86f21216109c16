"""Vectors shipped with the code: a first start loads them instead of embedding, an item whose
text changed (or all of them, under another embedder) is embedded as before, and the index
answers as one built from scratch."""

from dataclasses import replace

import numpy as np

from recommender.catalog import Catalog
from recommender.vectors.index import ItemIndex
from recommender.vectors.shipped import ShippedVectors, shipped_path
from recommender.vectors.store import open_memory_client

from .catalogs import tiny_movies
from .fakes import WordHashEmbedder


class CountingEmbedder(WordHashEmbedder):
    """The word-hash fake, counting the texts it embeds."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return super().embed_documents(texts)


def _shipped(catalog: Catalog, tmp_path):
    """The folder holding the catalog's word-hash vectors, written as shipped."""
    vectors = WordHashEmbedder().embed_documents([i.document() for i in catalog.items])
    path = shipped_path(catalog.domain, tmp_path)
    ShippedVectors.of(catalog.items, np.asarray(vectors), "word-hash").save(path)
    return tmp_path


def test_a_build_takes_the_shipped_vectors_and_embeds_nothing(tmp_path):
    catalog = tiny_movies()
    embedder = CountingEmbedder()
    index = ItemIndex(open_memory_client(), catalog, embedder, "word-hash",
                      shipped_dir=_shipped(catalog, tmp_path))
    assert index.ensure(progress=False) is True
    assert embedder.texts == [] and index.embedded == 0
    scratch = ItemIndex(open_memory_client(), catalog, WordHashEmbedder(), "word-hash")
    scratch.ensure(progress=False)
    for item in catalog.items:
        query = scratch.vectors([item.item_id])[0]
        shipped_hits, scratch_hits = index.search(query, 5), scratch.search(query, 5)
        assert [h.item_id for h in shipped_hits] == [h.item_id for h in scratch_hits]
        assert np.allclose([h.score for h in shipped_hits], [h.score for h in scratch_hits],
                           atol=2e-3)  # float16: three decimal places


def test_only_an_edited_or_new_item_is_embedded(tmp_path):
    catalog = tiny_movies()
    shipped_dir = _shipped(catalog, tmp_path)
    edited = replace(catalog.items[0], tags=("chestburster",))
    new = replace(catalog.items[1], item_id="99", title="Alien Resurrection")
    changed = Catalog("movies", (edited, *catalog.items[1:], new))
    embedder = CountingEmbedder()
    index = ItemIndex(open_memory_client(), changed, embedder, "word-hash",
                      shipped_dir=shipped_dir)
    index.ensure(progress=False)
    assert embedder.texts == [edited.document(), new.document()] and index.embedded == 2
    assert np.allclose(index.vectors(["1"])[0], WordHashEmbedder().embed_query(edited.document()))


def test_another_embedder_embeds_every_item(tmp_path):
    catalog = tiny_movies()
    embedder = CountingEmbedder()
    index = ItemIndex(open_memory_client(), catalog, embedder, "minilm",
                      shipped_dir=_shipped(catalog, tmp_path))
    index.ensure(progress=False)
    assert len(embedder.texts) == len(catalog) and index.embedded == len(catalog)


def test_a_missing_or_broken_file_means_embedding_as_before(tmp_path):
    catalog = tiny_movies()
    assert ShippedVectors.for_catalog(catalog, tmp_path) is None
    shipped_path("movies", tmp_path).write_bytes(b"not a numpy file")
    assert ShippedVectors.for_catalog(catalog, tmp_path) is None


def test_the_shipped_files_fit_the_catalogs_they_ship_with():
    """The files in assets/vectors/ are MiniLM's vectors of today's catalog texts: a first
    start embeds nothing. (When a catalog's text changes, ``python -m recommender index
    --ship`` writes them again.)"""
    from recommender.catalog import load_catalog
    from recommender.settings import Settings
    from recommender.vectors.embeddings import EMBEDDER_NAME

    settings = Settings.from_env()
    for domain in settings.domains:
        catalog = load_catalog(domain, settings.data_dir)
        shipped = ShippedVectors.for_catalog(catalog)
        assert shipped is not None, f"no shipped vectors for {domain}"
        assert len(shipped.matching(catalog.items, EMBEDDER_NAME)) == len(catalog)
        assert shipped.vectors.dtype == np.float16 and shipped.vectors.shape[1] == 384
