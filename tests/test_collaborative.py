"""SASRec item vectors in Chroma: queried by the user's vector, kept in step with the model."""

import hashlib
import json
import random

import numpy as np
import pytest
import torch

from recommender.collaborative.retriever import (
    CollaborativeRetriever,
    augment_items,
    load_collaborative,
)
from recommender.collaborative.sasrec import (
    SASRecConfig,
    load_model,
    pad_left,
    save_model,
    train_sasrec,
)
from recommender.collaborative.sasrec_numpy import WEIGHTS_FILE, SASRecNumpy
from recommender.collaborative.training import (
    FusionWeights,
    find_model_dir,
    load_fusion_weights,
    model_dir,
    save_fusion_weights,
)
from recommender.errors import RecommenderError
from recommender.vectors.store import open_client

ITEMS = 40
VOCABULARY = [f"m{i}" for i in range(1, ITEMS + 1)]   # model id n is VOCABULARY[n - 1]


def _train(seed: int):
    rng = random.Random(seed)
    sequences = []
    for _ in range(150):
        start = rng.randint(1, ITEMS - 6)
        sequences.append(list(range(start, start + 6)))
    config = SASRecConfig(max_len=6, dim=16, blocks=1, dropout=0.0, epochs=15, batch_size=32,
                          negatives=0, learning_rate=5e-3, seed=seed)
    return train_sasrec(sequences, ITEMS, config, progress=False)


@pytest.fixture
def folder(tmp_path):
    target = model_dir(tmp_path / "models", "movielens")
    save_model(_train(0), VOCABULARY, target, {"dataset": "synthetic"})
    return target


def test_chroma_returns_the_models_best_items_in_order_without_the_history(folder, tmp_path):
    retriever = CollaborativeRetriever(open_client(tmp_path / "index"), folder, "movies")
    history = ["m3", "m4", "m5", "m6"]
    hits = retriever.retrieve(history, 5)
    model = load_model(folder)[0]  # the torch model it was trained as
    user = model.user_vectors(torch.tensor([[0, 0, 3, 4, 5, 6]]))[0]
    scores = model.items.weight.detach() @ user
    scores[[0, 3, 4, 5, 6]] = float("-inf")
    expected = [VOCABULARY[i - 1] for i in torch.topk(scores, 5).indices.tolist()]
    assert [h.item_id for h in hits] == expected
    assert hits[0].item_id == "m7"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_unknown_history_gives_nothing_and_the_catalog_filters(folder, tmp_path):
    client = open_client(tmp_path / "index")
    assert CollaborativeRetriever(client, folder, "movies").retrieve(["new-item"], 5) == []
    catalog = {"m2", "m9"}
    retriever = CollaborativeRetriever(client, folder, "movies", catalog)
    assert {h.item_id for h in retriever.retrieve(["m3", "m4"], 10)} <= catalog
    assert "m5" in retriever and "new-item" not in retriever


def test_the_collection_is_rewritten_when_the_model_is_retrained(folder, tmp_path):
    client = open_client(tmp_path / "index")
    first = CollaborativeRetriever(client, folder, "movies")
    stored = client.get_collection("collab-movies")
    before = stored.get(ids=["m1"], include=["embeddings"])["embeddings"][0]
    assert stored.metadata["model"] == first.fingerprint
    assert first.sha256 == hashlib.sha256(first.weights_file.read_bytes()).hexdigest()
    assert first.sha256.startswith(first.fingerprint)
    save_model(_train(1), VOCABULARY, folder, {"dataset": "synthetic"})
    second = CollaborativeRetriever(client, folder, "movies")
    after = client.get_collection("collab-movies").get(ids=["m1"], include=["embeddings"])
    assert second.fingerprint != first.fingerprint
    assert list(after["embeddings"][0]) != list(before)
    assert list(after["embeddings"][0])[:16] == pytest.approx(
        load_model(folder)[0].items.weight.detach()[1].tolist(), abs=1e-6)


@pytest.mark.parametrize("heads, blocks", [(1, 1), (2, 2)])
def test_the_served_numpy_model_gives_the_torch_models_vectors(tmp_path, heads, blocks):
    """``SASRecNumpy`` (serving, no torch) against ``SASRec`` in inference: the same user
    vector for histories shorter than, as long as and longer than its window."""
    config = SASRecConfig(max_len=6, dim=16, heads=heads, blocks=blocks, dropout=0.3, epochs=2,
                          batch_size=32, seed=3)
    rng = random.Random(3)
    sequences = [[rng.randint(1, ITEMS) for _ in range(8)] for _ in range(60)]
    trained = train_sasrec(sequences, ITEMS, config, progress=False)
    save_model(trained, VOCABULARY, tmp_path, {})
    served, vocabulary, _ = SASRecNumpy.load(tmp_path)
    assert vocabulary == VOCABULARY
    assert np.allclose(served.items, trained.items.weight.detach().numpy())
    for history in ([5], [5, 9, 2], [1, 2, 3, 4, 5, 6], [7, 3, 9, 1, 4, 2, 8, 6, 5]):
        window = history[-config.max_len:]
        expected = trained.user_vectors(torch.tensor([pad_left(window, config.max_len)]))[0]
        assert served.user_vector(history) == pytest.approx(expected.tolist(), abs=1e-5)


def test_a_model_saved_without_numpy_weights_is_converted_once(folder, tmp_path):
    (folder / WEIGHTS_FILE).unlink()
    retriever = CollaborativeRetriever(open_client(tmp_path / "index"), folder, "movies")
    assert (folder / WEIGHTS_FILE).is_file()
    assert np.allclose(retriever.model.items, load_model(folder)[0].items.weight.detach())


def test_a_broken_numpy_weights_file_says_to_train_again(folder, tmp_path):
    (folder / WEIGHTS_FILE).write_bytes(b"not a zip")
    with pytest.raises(RecommenderError, match="cannot be read"):
        CollaborativeRetriever(open_client(tmp_path / "index"), folder, "movies")


def test_augmented_vectors_turn_largest_dot_product_into_nearest_neighbour():
    rng = np.random.default_rng(0)
    items = rng.normal(size=(500, 8)) * rng.uniform(0.2, 3.0, size=(500, 1))
    augmented, top = augment_items(items)
    assert augmented.shape == (500, 9)
    assert np.allclose((augmented.astype(np.float64) ** 2).sum(axis=1), top, rtol=1e-5)
    for query in rng.normal(size=(20, 8)):
        distances = ((augmented - np.append(query, 0.0)) ** 2).sum(axis=1)
        assert distances.argmin() == (items @ query).argmax()
        assert np.allclose((query @ query + top - distances) / 2, items @ query, atol=1e-4)


def test_missing_model_says_how_to_train(tmp_path):
    with pytest.raises(RecommenderError, match="python -m recommender train --dataset beauty"):
        CollaborativeRetriever(open_client(tmp_path / "i"), tmp_path / "sasrec-beauty", "beauty")
    assert load_collaborative(open_client(tmp_path / "i"), tmp_path / "none", "movies", {}) is None


def test_model_folder_lookup_and_saved_weights(tmp_path, folder):
    assert find_model_dir(tmp_path, "beauty", tmp_path / "models") == \
        tmp_path / "models" / "sasrec-beauty"
    trained = model_dir(tmp_path / "index", "movielens")
    save_model(_train(0), VOCABULARY, trained, {})
    assert find_model_dir(tmp_path / "index", "movielens", None) == trained
    assert find_model_dir(tmp_path / "elsewhere", "movielens", None).parts[-3:] == \
        ("assets", "models", "sasrec-movielens")
    assert load_fusion_weights(folder) == FusionWeights()
    save_fusion_weights(folder, FusionWeights(collaborative=0.6, llm=0.3), {"date": "today"})
    assert load_fusion_weights(folder) == FusionWeights(collaborative=0.6, llm=0.3)
    saved = json.loads((folder / "fusion.json").read_text())
    (folder / "fusion.json").write_text(json.dumps(
        {**saved, "typed_history": {"3": 0.6}, "typed_history_chosen_on": "117 users"}))
    save_fusion_weights(folder, FusionWeights(collaborative=0.9, llm=0.0, typed_history={3: 0.6}),
                        {"date": "tomorrow"})
    resaved = json.loads((folder / "fusion.json").read_text())  # the typed shares' note stays
    assert (resaved["collaborative"], resaved["typed_history_chosen_on"], resaved["date"]) == \
        (0.9, "117 users", "tomorrow")


def test_a_corrupt_model_or_weights_file_gets_a_message_saying_what_to_do(folder, tmp_path):
    (folder / "sasrec.pt").write_bytes(b"not a model")  # and no numpy weights to serve from
    (folder / WEIGHTS_FILE).unlink()
    with pytest.raises(RecommenderError, match="cannot be read .*Train it again: python -m recommender train "
                                               "--dataset movielens"):
        CollaborativeRetriever(open_client(tmp_path / "index"), folder, "movies")
    (folder / "fusion.json").write_text("{")
    with pytest.raises(RecommenderError, match="Delete it to use the default weights"):
        load_fusion_weights(folder)
    (folder / "fusion.json").write_text('{"collaborative": 1, "llm": 0, "typed_history": [1]}')
    with pytest.raises(RecommenderError, match="Delete it to use the default weights"):
        load_fusion_weights(folder)
    (folder / "fusion.json").write_text('{"collaborative": 1, "llm": 0, "typed_taste": {"x": 1}}')
    with pytest.raises(RecommenderError, match="Delete it to use the default weights"):
        load_fusion_weights(folder)
    (folder / "fusion.json").write_text('{"collaborative": 1, "llm": 0, "typed_history": '
                                        '{"3": 0.6}, "typed_taste": {"3": 0.3}}')
    weights = load_fusion_weights(folder)
    assert (weights.typed_history, weights.typed_taste) == ({3: 0.6}, {3: 0.3})


def test_saving_replaces_files_whole_and_leaves_no_partial_file(folder):
    before = (folder / "sasrec.pt").read_bytes()
    save_model(_train(1), VOCABULARY, folder, {"dataset": "synthetic"})
    assert (folder / "sasrec.pt").read_bytes() != before
    assert sorted(p.name for p in folder.iterdir()) == ["sasrec.json", "sasrec.npz", "sasrec.pt"]
