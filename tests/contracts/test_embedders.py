"""The embedder contract, held against the word-hash fake the unit tests use, MiniLM as the app
loads it, and MiniLM loaded in the background: one vector per text, of one length, unit length
(Chroma's cosine space and the augmented inner-product trick rely on it), the same text giving
the same vector alone or in a batch, and texts about the same thing closer than unrelated ones."""

from __future__ import annotations

import math

import pytest

from recommender.vectors.embeddings import BackgroundEmbeddings, load_embedder

from ..fakes import WordHashEmbedder

TEXTS = ["Alien (1979): Horror, Sci-Fi. A crew in deep space meets a deadly creature.",
         "Aliens (1986): Action, Horror, Sci-Fi. Marines in deep space fight the creatures.",
         "Notting Hill (1999): Comedy, Romance. A bookseller in London falls in love.",
         ""]


@pytest.fixture(scope="module")
def minilm():
    return load_embedder()


@pytest.fixture(params=["word_hash", "minilm", "background"])
def embedder(request):
    if request.param == "word_hash":
        return WordHashEmbedder()
    if request.param == "minilm":
        return request.getfixturevalue("minilm")
    loaded = request.getfixturevalue("minilm")
    return BackgroundEmbeddings(lambda: loaded)


def test_one_unit_vector_of_one_length_per_text(embedder):
    vectors = embedder.embed_documents(TEXTS[:3])
    assert len(vectors) == 3 and len({len(v) for v in vectors}) == 1
    assert all(math.isclose(math.hypot(*v), 1.0, rel_tol=1e-3) for v in vectors)


def test_the_same_text_gives_the_same_vector_alone_or_in_a_batch(embedder):
    batch = embedder.embed_documents(TEXTS[:3])
    alone = embedder.embed_query(TEXTS[1])
    assert all(math.isclose(a, b, abs_tol=1e-4) for a, b in zip(batch[1], alone))


def test_texts_about_the_same_thing_are_closer(embedder):
    alien, aliens, romance = embedder.embed_documents(TEXTS[:3])
    cosine = lambda a, b: sum(x * y for x, y in zip(a, b))  # noqa: E731 (unit vectors)
    assert cosine(alien, aliens) > cosine(alien, romance)


def test_an_empty_text_still_gets_a_vector(embedder):
    [vector] = embedder.embed_documents([TEXTS[3]])
    assert len(vector) == len(embedder.embed_query(TEXTS[0]))
