"""LRURec: it learns a known next item, its served numpy form gives the torch model's scores,
padding passes nothing on, and Chroma serves its items (bias included) in the model's order."""

import random

import numpy as np
import pandas as pd
import pytest
import torch

from recommender.collaborative.artifacts import model_dir, model_file
from recommender.collaborative.interactions import five_core
from recommender.collaborative.lrurec import (
    LRURec,
    LRURecConfig,
    load_lrurec,
    save_lrurec,
    train_lrurec,
)
from recommender.collaborative.lrurec_numpy import LRURecNumpy
from recommender.collaborative.retriever import CollaborativeRetriever
from recommender.collaborative.sasrec import SASRecConfig, save_model, train_sasrec
from recommender.vectors.store import open_client

ITEMS = 30
VOCABULARY = [f"m{i}" for i in range(1, ITEMS + 1)]


def _sequences(count: int, length: int, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    return [list(range(start, start + length))
            for start in (rng.randint(1, ITEMS - length) for _ in range(count))]


def _trained(epochs: int = 30, seed: int = 1) -> LRURec:
    config = LRURecConfig(max_len=6, dim=16, blocks=2, dropout=0.0, recurrent_dropout=0.0,
                          epochs=epochs, batch_size=32, learning_rate=5e-3, seed=seed)
    return train_lrurec(_sequences(200, 6), ITEMS, config, progress=False)


def test_learns_the_next_item():
    model = _trained()
    probes = torch.tensor([[0, 0, 3, 4, 5, 6], [0, 0, 17, 18, 19, 20]])
    scores = model.scores(model.user_vectors(probes))
    scores[:, 0] = float("-inf")
    assert scores.argmax(dim=1).tolist() == [7, 21]


def test_padding_passes_nothing_on_and_a_trimmed_batch_reads_like_a_padded_one():
    torch.manual_seed(0)
    model = LRURec(ITEMS, LRURecConfig(max_len=8, dim=16))
    model.eval()
    full = torch.tensor([[0, 0, 0, 0, 0, 3, 4, 5], [9, 9, 9, 9, 9, 0, 7, 8]])
    full[1, :6] = 0
    other = full.clone()
    other[:, :3] = torch.tensor([[11, 12, 13], [0, 0, 0]])  # row 0: longer history
    with torch.no_grad():
        padded, trimmed = model(full), model(full[:, -3:])
        assert torch.allclose(padded[:, -2:], trimmed[:, -2:], atol=1e-5)
        assert not torch.isnan(padded).any()
        assert torch.allclose(model(other)[1], padded[1], atol=1e-6)  # same row, same output


@pytest.mark.parametrize("history", [[3], [4, 5, 6], list(range(1, 12))],
                         ids=["one item", "shorter than max_len", "longer than max_len"])
def test_the_served_numpy_model_gives_the_torch_models_scores(tmp_path, history):
    model = _trained(epochs=2)
    save_lrurec(model, VOCABULARY, tmp_path, {"dataset": "synthetic"})
    served, vocabulary, meta = LRURecNumpy.load(tmp_path)
    assert vocabulary == VOCABULARY and meta == {"dataset": "synthetic"}
    padded = [0] * max(0, 6 - len(history)) + history[-6:]
    user = model.user_vectors(torch.tensor([padded]))
    expected = model.scores(user)[0].detach().numpy()
    vector = served.user_vector(history)
    assert vector[-1] == 1.0  # the bias's coordinate
    np.testing.assert_allclose(vector[:-1], user[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(served.items @ vector, expected, atol=1e-5)


def test_round_trips(tmp_path):
    model = _trained(epochs=1)
    save_lrurec(model, VOCABULARY, tmp_path, {"dataset": "synthetic"})
    loaded, vocabulary, meta = load_lrurec(tmp_path)
    probes = torch.tensor([[0, 0, 3, 4, 5, 6]])
    assert vocabulary[6] == "m7" and meta == {"dataset": "synthetic"}
    assert torch.equal(loaded.user_vectors(probes), model.user_vectors(probes))


def test_chroma_serves_its_items_with_their_bias_in_the_models_order(tmp_path):
    model = _trained()
    with torch.no_grad():  # a bias large enough to reorder what the vectors alone would say
        model.bias[1:] = torch.linspace(0, 3, ITEMS)
    folder = model_dir(tmp_path / "models", "movielens")
    save_lrurec(model, VOCABULARY, folder, {"dataset": "synthetic"})
    retriever = CollaborativeRetriever(open_client(tmp_path / "index"), folder, "movies")
    assert retriever.architecture == "lrurec"
    hits = retriever.retrieve(["m3", "m4", "m5", "m6"], 5)
    with torch.no_grad():
        scores = model.scores(model.user_vectors(torch.tensor([[0, 0, 3, 4, 5, 6]])))[0]
    scores[[0, 3, 4, 5, 6]] = float("-inf")
    assert [h.item_id for h in hits] == \
        [VOCABULARY[i - 1] for i in torch.topk(scores, 5).indices.tolist()]
    np.testing.assert_allclose([h.score for h in hits], torch.topk(scores, 5).values.numpy(),
                               atol=1e-3)


def test_a_folder_holds_one_model_and_the_retriever_reads_the_one_there(tmp_path):
    from recommender.collaborative import training

    folder = model_dir(tmp_path, "movielens")
    sasrec = train_sasrec(_sequences(20, 6), ITEMS, SASRecConfig(max_len=6, dim=16, epochs=1),
                          progress=False)
    save_model(sasrec, VOCABULARY, folder, {})
    assert model_file(folder).name == "sasrec.pt"
    training.remove_model(folder)
    save_lrurec(_trained(epochs=1), VOCABULARY, folder, {})
    assert sorted(p.name for p in folder.iterdir()) == ["lrurec.json", "lrurec.npz", "lrurec.pt"]
    assert model_file(folder).name == "lrurec.pt"


def test_five_core_filters_until_users_and_items_both_hold():
    rows = [(u, i) for u in range(1, 6) for i in range(1, 6)]   # a 5 x 5 core
    rows += [(6, i) for i in range(1, 5)]        # a user with 4: goes
    rows += [(u, 7) for u in range(1, 6)]        # an item with 5 ratings: stays
    rows += [(7, 8), (7, 1), (7, 2), (7, 3), (7, 4), (1, 8)]  # item 8 has 2: goes; then user 7
    frame = pd.DataFrame(rows, columns=["user", "item"])     # has 4 and goes too
    kept = five_core(frame, "user", "item")
    assert sorted(kept["user"].unique()) == [1, 2, 3, 4, 5]
    assert sorted(kept["item"].unique()) == [1, 2, 3, 4, 5, 7]


def test_moving_away_from_a_disliked_item_keeps_the_bias_whole(tmp_path):
    from recommender.core.retrieval import Steering

    folder = model_dir(tmp_path / "models", "movielens")
    save_lrurec(_trained(epochs=2), VOCABULARY, folder, {})
    retriever = CollaborativeRetriever(open_client(tmp_path / "index"), folder, "movies")
    history = ["m3", "m4", "m5", "m6"]
    plain = retriever.user_vector(history)
    steered = retriever._steered_vector(history, Steering(avoid=("m7",)))
    assert steered[-1] == plain[-1] == 1.0 and not np.allclose(steered[:-1], plain[:-1])
    assert "m7" not in [h.item_id for h in retriever.retrieve(history, 3,
                                                             steer=Steering(avoid=("m7",)))][:1]


def test_an_ensemble_sums_its_members_scores_and_is_served_as_one_inner_product(tmp_path):
    config = LRURecConfig(max_len=6, dim=16, dropout=0.0, recurrent_dropout=0.0, epochs=2,
                          batch_size=32, learning_rate=5e-3, seed=3, members=2)
    ensemble = train_lrurec(_sequences(60, 6), ITEMS, config, progress=False)
    first, second = ensemble.members
    assert not torch.equal(first.items.weight, second.items.weight)  # seeds 3 and 4
    probes = torch.tensor([[0, 0, 3, 4, 5, 6]])
    with torch.no_grad():
        summed = first.scores(first.user_vectors(probes)) + \
            second.scores(second.user_vectors(probes))
        assert torch.allclose(ensemble.scores(ensemble.user_vectors(probes)), summed, atol=1e-5)
    folder = model_dir(tmp_path / "models", "movielens")
    save_lrurec(ensemble, VOCABULARY, folder, {})
    loaded = load_lrurec(folder)[0]
    assert torch.equal(loaded.user_vectors(probes), ensemble.user_vectors(probes))
    served = LRURecNumpy.load(folder)[0]
    vector = served.user_vector([3, 4, 5, 6])
    assert served.items.shape == (ITEMS + 1, 2 * 17) and vector.shape == (34,)
    assert list(np.flatnonzero(~served.taste)) == [16, 33] and list(vector[[16, 33]]) == [1, 1]
    np.testing.assert_allclose(served.items @ vector, summed[0].numpy(), atol=1e-4)
    retriever = CollaborativeRetriever(open_client(tmp_path / "index"), folder, "movies")
    hits = retriever.retrieve(["m3", "m4", "m5", "m6"], 3)
    top = summed[0].clone()
    top[[0, 3, 4, 5, 6]] = float("-inf")
    assert [h.item_id for h in hits] == \
        [VOCABULARY[i - 1] for i in torch.topk(top, 3).indices.tolist()]
