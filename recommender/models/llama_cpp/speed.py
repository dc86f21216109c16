"""How fast the loaded model decodes on this machine, as the turns use it (``benchmark``)."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from recommender.models.llama_cpp.batch_decoder import BatchDecoder, Decoding
from recommender.models.llama_cpp.context import LlamaContext

__all__ = ["measure"]


def measure(llama, decoder: BatchDecoder, batch_sizes: Sequence[int]) -> dict:
    """Prompt tokens/s (a 400-token prompt in ``MAX_BATCH`` pieces) and, per number of replies
    decoded together, generated tokens/s over all of them (32 tokens each, after one shared
    prompt)."""
    text = f"Run {time.monotonic_ns()}: " + " ".join(  # a prompt nothing has cached
        ["The Matrix (1999): Action, Sci-Fi, Thriller."] * 40)
    prompt = llama.tokenize(text.encode("utf-8"), add_bos=False)
    started = time.perf_counter()
    for _ in decoder.run([Decoding(prompt, 1)]):
        pass
    result = {"prompt_tokens_per_s": round(len(prompt) / (time.perf_counter() - started))}
    curve, never_ending = {}, _never_ending(decoder.context)
    for size in batch_sizes:  # each after the prompt cached above
        decodings = [Decoding(prompt + llama.tokenize(f" {n}".encode(), add_bos=False),
                              32, processor=never_ending)
                     for n in range(size)]
        started = time.perf_counter()
        for _ in decoder.run(decodings):
            pass
        seconds = time.perf_counter() - started
        curve[size] = round(sum(len(d.tokens) for d in decodings) / seconds)
    result["generated_tokens_per_s"] = curve[batch_sizes[0]]
    result["generated_tokens_per_s_by_batch"] = curve
    return result


def _never_ending(context: LlamaContext):
    """A logits processor that rules out every end-of-generation token."""
    ends = np.array(context.end_tokens(), dtype=np.intp)

    def keep(_input_ids, scores):
        scores[ends] = -np.inf
        return scores

    return keep
