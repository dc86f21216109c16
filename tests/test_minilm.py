"""MiniLM in numpy (``vectors.minilm``, what the app serves with) against sentence-transformers
(the model's reference implementation, installed for this comparison and for nothing the app
runs): the same vectors for catalog texts of every length, empty and over-long ones too."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.models.packaged import default_embedding_model_path
from recommender.vectors.minilm import MAX_TOKENS, NumpyMiniLM

from .catalogs import tiny_movies, tiny_products

pytestmark = pytest.mark.slow  # loads torch and sentence-transformers for the reference


def _reference():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(default_embedding_model_path()), device="cpu",
                                local_files_only=True)
    model.max_seq_length = MAX_TOKENS
    return model


def test_the_numpy_model_gives_sentence_transformers_vectors():
    texts = [i.document() for i in (*tiny_movies().items, *tiny_products().items)]
    texts += ["", "Alien", "a " * 400, "Amélie 🎬 — naïve café"]
    ours = np.asarray(NumpyMiniLM(default_embedding_model_path()).embed_documents(texts))
    reference = _reference().encode(texts, batch_size=7, normalize_embeddings=True)
    assert ours.shape == reference.shape == (len(texts), 384)
    assert np.abs(ours - reference).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_or_in_a_batch_of_other_lengths():
    model = NumpyMiniLM(default_embedding_model_path())
    texts = ["Heat", "Toy Story (1995): Animation, Children. Toys come to life. " * 3, "Ronin"]
    batch = np.asarray(model.embed_documents(texts))
    alone = np.asarray([model.embed_query(t) for t in texts])
    assert np.abs(batch - alone).max() < 1e-5
