"""The retriever contract, held against content, collaborative and hybrid retrieval over the
tiny catalog: at most k items, best first, each once, all from the catalog, never one of the
history or the exclusions, and only items that pass the Chroma filter; and one known right
answer, on a checkerboard catalog whose right neighbours are known (``checkerboard``)."""

from __future__ import annotations

import random

import pytest

from recommender.catalog import Catalog, Item
from recommender.collaborative.retriever import CollaborativeRetriever
from recommender.collaborative.sasrec import SASRecConfig, save_model, train_sasrec
from recommender.collaborative.training import model_dir
from recommender.core.retrieval import ContentRetriever, HybridRetriever, Steering
from recommender.vectors.index import ItemIndex
from recommender.vectors.store import open_client

from ..catalogs import tiny_movies
from ..fakes import WordHashEmbedder

HISTORY = ["1", "3"]


class _CollaborativeOnly:
    """The collaborative source seen through the retriever interface (it reads no profile)."""

    name = "collaborative"

    def __init__(self, source: CollaborativeRetriever) -> None:
        self.source = source

    def retrieve(self, history_ids, profile, k, exclude=None, steer=None):
        return self.source.retrieve(history_ids, k, exclude, steer)


def _retrievers(folder, catalog, sequences, config: SASRecConfig):
    """Content retrieval over ``catalog`` (word-hash vectors in Chroma) and SASRec trained on
    ``sequences`` of its ids (1 to 12) behind the collaborative retriever."""
    client = open_client(folder / "index")
    index = ItemIndex(client, catalog, WordHashEmbedder(), "word-hash")
    index.ensure(progress=False)
    target = model_dir(folder / "models", "movielens")
    save_model(train_sasrec(sequences, 12, config, progress=False),
               [str(i) for i in range(1, 13)], target, {})
    return ContentRetriever(index, 0.3), CollaborativeRetriever(client, target, "movies", catalog)


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    catalog = tiny_movies()
    rng = random.Random(0)
    sequences = [list(range(s, s + 4)) for s in (rng.randint(1, 9) for _ in range(120))]
    config = SASRecConfig(max_len=4, dim=8, blocks=1, dropout=0.0, epochs=10, batch_size=16,
                          learning_rate=1e-2)
    return catalog, *_retrievers(tmp_path_factory.mktemp("retrievers"), catalog, sequences,
                                 config)


@pytest.fixture(params=["content", "collaborative", "hybrid"])
def retriever(request, parts):
    _catalog, content, collaborative = parts
    return {"content": content, "collaborative": _CollaborativeOnly(collaborative),
            "hybrid": HybridRetriever(content, collaborative, 0.5)}[request.param]


def test_at_most_k_distinct_items_from_the_catalog_best_first(retriever, parts):
    catalog = parts[0]
    hits = retriever.retrieve(HISTORY, "You enjoy space horror.", 4)
    ids = [h.item_id for h in hits]
    assert 0 < len(ids) <= 4 and len(set(ids)) == len(ids)
    assert all(i in catalog for i in ids)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_the_history_is_never_returned(retriever):
    hits = retriever.retrieve(HISTORY, "", 12)
    assert not set(HISTORY) & {h.item_id for h in hits}


def test_exclusions_replace_the_history_as_what_is_left_out(retriever):
    excluded = ["1", "3", "4", "10"]
    hits = retriever.retrieve(HISTORY, "", 12, exclude=excluded)
    assert hits and not set(excluded) & {h.item_id for h in hits}


def test_a_metadata_filter_is_honoured(retriever, parts):
    catalog = parts[0]
    steer = Steering(where={"genre:Romance": True})
    hits = retriever.retrieve(HISTORY, "", 5, steer=steer)
    assert hits and all("Romance" in catalog.get(h.item_id).genres for h in hits)


def test_no_k_no_items(retriever):
    assert retriever.retrieve(HISTORY, "", 0) == []


def checkerboard() -> Catalog:
    """Twelve films on the two colours of a board: odd ids are space films, even ids romances,
    with no word in common between the colours. The right neighbours of an odd film are the
    other odd films, for what they say (content) and for what people watch next (sequences
    stay on one colour)."""
    space = ["Orbit", "Comet", "Rocket", "Nebula", "Asteroid", "Galaxy"]
    love = ["Wedding", "Kiss", "Valentine", "Bride", "Sweetheart", "Romeo"]
    return Catalog("movies", tuple(
        Item(str(n), f"{space[n // 2]} Voyage", 2000, ("Sci-Fi",), ("space", "stars"))
        if n % 2 else
        Item(str(n), f"{love[n // 2 - 1]} Letters", 2000, ("Romance",), ("love", "heart"))
        for n in range(1, 13)), kind="movies")


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    rng = random.Random(0)
    colours = [list(range(1, 13, 2)), list(range(2, 13, 2))]
    sequences = [rng.sample(colours[n % 2], 4) for n in range(240)]
    config = SASRecConfig(max_len=4, dim=16, blocks=1, dropout=0.0, epochs=20, batch_size=16,
                          learning_rate=1e-2)
    content, collaborative = _retrievers(tmp_path_factory.mktemp("checkerboard"),
                                         checkerboard(), sequences, config)
    return {"content": content, "collaborative": _CollaborativeOnly(collaborative),
            "hybrid": HybridRetriever(content, collaborative, 0.5)}


@pytest.mark.parametrize("kind", ["content", "collaborative", "hybrid"])
def test_the_right_neighbours_of_a_checkerboard_come_first(board, kind):
    """A known right answer: after two odd films, the four best are the other odd films, and
    after two even ones, even films."""
    for history, colour in ((["1", "3"], 1), (["2", "4"], 0)):
        hits = board[kind].retrieve(history, "", 4)
        assert len(hits) == 4 and all(int(h.item_id) % 2 == colour for h in hits), \
            (kind, history, [h.item_id for h in hits])
