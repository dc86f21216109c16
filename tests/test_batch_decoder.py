"""The batch decoder on the real model: every sequence of a batch, and every visitor's call in
flight beside another's, scores bit-for-bit as it would decoded alone (``batch_decoder`` says
why that needs care)."""

import pytest

from recommender.models.llama_cpp import load_llama
from recommender.models.llama_cpp.batch_decoder import BatchDecoder, Decoding
from recommender.models.packaged import default_gguf_path

pytestmark = pytest.mark.real

_LIST = "\n".join(f"{i}. Film {i} ({1980 + i}): Action, Sci-Fi; tagged aliens" for i in range(1, 9))


def _decoder(context_tokens: int):
    llama = load_llama(default_gguf_path(), threads=2, context_tokens=context_tokens)
    return llama, BatchDecoder(llama)


def _tokens(llama, text: str) -> list[int]:
    return llama.tokenize(f"You recommend films.\n{text}\n".encode(), add_bos=False)


def test_every_step_of_a_batch_scores_as_it_would_alone():
    """The numbers under the texts above: each sequence's logits at every step of a batch are
    bit-identical to those it gets decoded alone (without flash attention, or with batches of
    64 tokens and more, they move by up to 0.7: ``batch_decoder``)."""
    import numpy as np


    llama, decoder = _decoder(2048)
    base = _tokens(llama, "Explain each pick in one line:\n" + _LIST)
    endings = [f"{n}. Like Alien, Film {n} is" for n in range(1, 7)]

    def decodings(recorded: list[list]) -> list[Decoding]:
        def recorder(steps: list):
            def record(_ids, scores):
                steps.append(scores.copy())
                return scores
            return record
        return [Decoding(base + llama.tokenize(e.encode(), add_bos=False,
                                                       special=False), 12 + 2 * n,
                         processor=recorder(steps))
                for n, (e, steps) in enumerate(zip(endings, recorded))]

    together: list[list] = [[] for _ in endings]
    list(decoder.run(decodings(together)))
    for n, steps in enumerate(together):
        alone: list[list] = [[] for _ in endings]
        list(decoder.run([decodings(alone)[n]]))
        assert len(steps) == len(alone[n]) > 1
        assert all(np.array_equal(a, b) for a, b in zip(steps, alone[n]))


def test_calls_from_other_threads_share_batches_and_score_as_alone():
    """Two visitors' calls in flight at once are decoded in the same steps (continuous
    batching), one starting while the other writes; each reply's logits at every step are
    bit-identical to those it gets alone, so one visitor's words never move another's."""
    import threading

    import numpy as np


    llama, decoder = _decoder(4096)

    def call(topic: str, replies: int) -> list[Decoding]:
        base = _tokens(llama, topic)
        return [Decoding(base + llama.tokenize(f"{n}. It is".encode(), add_bos=False,
                                                       special=False), 10 + 3 * n,
                         processor=_recorder()) for n in range(1, replies + 1)]

    topics = [("Explain each pick in one line:\n" + _LIST, 3),
              ("I liked Heat and Ronin. Say why in three lines.", 2)]
    alone = []
    for topic, replies in topics:
        decodings = call(topic, replies)
        recorders = [d.processor for d in decodings]  # a finished reply lets go of its guards
        list(decoder.run(decodings))
        alone.append([r.steps for r in recorders])
        assert all(d.processor is None for d in decodings)
    together: list = [None, None]
    start = threading.Barrier(2)

    def visitor(n: int) -> None:
        decodings = call(*topics[n])
        recorders = [d.processor for d in decodings]
        start.wait()
        list(decoder.run(decodings))
        together[n] = [r.steps for r in recorders]

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert decoder.most_in_flight == 2
    for mine, theirs in zip(together, alone):
        for steps, reference in zip(mine, theirs):
            assert len(steps) == len(reference) > 1
            assert all(np.array_equal(a, b) for a, b in zip(steps, reference))


class _recorder:
    """A logits processor that keeps a copy of the scores at every step."""

    def __init__(self) -> None:
        self.steps: list = []

    def __call__(self, _ids, scores):
        self.steps.append(scores.copy())
        return scores
