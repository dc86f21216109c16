"""SASRec on synthetic sequences whose next item is known: item i is followed by i + 1."""

import random

import pytest
import torch

from recommender.collaborative.sasrec import (
    SASRec,
    SASRecConfig,
    load_model,
    save_model,
    train_sasrec,
)


def _sequences(count: int, items: int, length: int, seed: int = 0) -> list[list[int]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        start = rng.randint(1, items - length)
        out.append(list(range(start, start + length)))
    return out


PROBES = torch.tensor([[0, 0, 3, 4, 5, 6], [0, 0, 17, 18, 19, 20]])


@pytest.mark.parametrize("negatives", [16, 0], ids=["sampled", "full softmax"])
def test_learns_the_next_item(negatives):
    items = 30
    config = SASRecConfig(max_len=6, dim=16, blocks=1, dropout=0.0, epochs=40, batch_size=32,
                          negatives=negatives, learning_rate=5e-3, seed=1)
    model = train_sasrec(_sequences(200, items, 6), items, config, progress=False)
    scores = model.user_vectors(PROBES) @ model.items.weight.detach().T
    scores[:, 0] = float("-inf")
    assert scores.argmax(dim=1).tolist() == [7, 21]


def test_round_trips(tmp_path):
    items = 30
    config = SASRecConfig(max_len=6, dim=16, blocks=1, epochs=1, negatives=16)
    model = train_sasrec(_sequences(50, items, 6), items, config, progress=False)
    probes = PROBES

    save_model(model, [str(i) for i in range(1, items + 1)], tmp_path, {"dataset": "synthetic"})
    loaded, vocabulary, meta = load_model(tmp_path)
    assert vocabulary[6] == "7" and meta == {"dataset": "synthetic"}
    assert torch.equal(loaded.user_vectors(probes), model.user_vectors(probes))



def test_windows_cover_every_target_once():
    from recommender.collaborative.sasrec import training_windows

    sequence = list(range(1, 12))  # 11 items: 10 targets
    windows = training_windows([sequence, [5], [7, 8]], max_len=4)
    assert windows == [[7, 8, 9, 10, 11], [3, 4, 5, 6, 7], [1, 2, 3], [7, 8]]
    targets = [t for w in windows for t in w[1:]]
    assert sorted(targets) == sorted([*range(2, 12), 8])


def test_a_trimmed_batch_reads_like_a_padded_one():
    """Training trims each batch to its longest row; positions count from the newest item, so
    the hidden states match those of the same rows padded to max_len."""
    config = SASRecConfig(max_len=6, dim=16, blocks=1, dropout=0.0, epochs=1, negatives=16)
    model = train_sasrec(_sequences(20, 30, 6), 30, config, progress=False)
    full = torch.tensor([[0, 0, 0, 3, 4, 5], [0, 0, 0, 0, 7, 8]])
    with torch.no_grad():
        assert torch.allclose(model(full)[:, -2:], model(full[:, -3:])[:, -2:], atol=1e-5)


@pytest.mark.parametrize("heads", [1, 2, 4])
def test_padding_never_turns_into_nan_and_changes_no_real_position(heads):
    torch.manual_seed(0)
    model = SASRec(30, SASRecConfig(max_len=8, dim=16, heads=heads, dropout=0.0))
    model.eval()
    padded = torch.tensor([[0, 0, 0, 0, 5, 6, 7, 8], [0, 0, 0, 0, 0, 0, 0, 3]])
    with torch.no_grad():  # PyTorch's inference path, where two heads once gave NaN
        hidden = model(padded)
    assert not torch.isnan(hidden).any()
    trimmed = model(padded[:1, 4:])  # the same items without padding
    assert torch.allclose(hidden[0, 4:], trimmed[0], atol=1e-5)
