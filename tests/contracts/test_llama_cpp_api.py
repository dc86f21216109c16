"""What the llama.cpp backend relies on in llama-cpp-python beyond its documented ``Llama``
API, pinned here so an upgrade that moves any of it fails by name: the low-level functions and
batch fields ``models/llama_cpp/context.py`` calls, the private context and vocabulary pointers
it reads, the default-parameter functions ``compat`` patches, and how sequences behave (a copied
sequence continues as its source does; a token's logits do not depend on its batch-mates)."""

from __future__ import annotations

import numpy as np
import pytest

import llama_cpp
import llama_cpp.llama_cpp as low
from recommender.models.llama_cpp.batch_decoder import MAX_SEQUENCES
from recommender.models.llama_cpp.compat import with_parallel_sequences, without_amx_repacking
from recommender.models.llama_cpp.context import LOW_LEVEL_FUNCTIONS, BatchToken, LlamaContext
from recommender.models.packaged import default_gguf_path


@pytest.mark.parametrize("function", LOW_LEVEL_FUNCTIONS)
def test_each_low_level_function_the_adapter_calls_exists(function):
    assert callable(getattr(low, function, None)), f"llama_cpp.llama_cpp.{function} is gone"


def test_a_batch_has_the_fields_the_adapter_writes():
    batch = low.llama_batch_init(4, 0, 1)
    try:
        for field in ("n_tokens", "token", "pos", "logits", "n_seq_id", "seq_id"):
            assert hasattr(batch, field), f"llama_batch has no {field}"
    finally:
        low.llama_batch_free(batch)


def test_the_defaults_compat_changes_have_the_fields_it_sets():
    assert hasattr(low.llama_model_default_params(), "use_extra_bufts")
    context = low.llama_context_default_params()
    assert hasattr(context, "n_seq_max") and hasattr(context, "kv_unified")


@pytest.fixture(scope="module")
def real_model():
    """The bundled GGUF loaded as the backend loads it (named as the other real-model fixtures,
    so the tiers mark these tests ``real``)."""
    with without_amx_repacking(), with_parallel_sequences(MAX_SEQUENCES):
        return llama_cpp.Llama(model_path=str(default_gguf_path()), n_ctx=256, n_threads=2,
                               n_threads_batch=2, flash_attn=True, verbose=False)


def test_the_private_pointers_it_reads_are_there(real_model):
    assert real_model._ctx.ctx is not None and real_model._model.vocab is not None


def test_a_copied_sequence_goes_on_as_its_source_does(real_model):
    context = LlamaContext(real_model, 8)
    context.clear()
    prompt = real_model.tokenize(b"The capital of France is", add_bos=False)
    assert context.decode([BatchToken(t, i, 0, i == len(prompt) - 1)
                           for i, t in enumerate(prompt)]) == 0
    first = context.logits(len(prompt) - 1)
    context.copy_sequence(0, 1, -1, -1)
    following = int(np.argmax(first))
    position = len(prompt)
    # the same next token in both sequences, in one batch: the same logits for each
    assert context.decode([BatchToken(following, position, 0, True),
                           BatchToken(following, position, 1, True)]) == 0
    assert np.array_equal(context.logits(0), context.logits(1))
    context.drop_sequence(1)
    context.clear()


def test_it_tells_the_tokens_that_end_generation(real_model):
    context = LlamaContext(real_model, 2)
    ends = context.end_tokens()
    assert real_model.token_eos() in ends
    assert not context.is_end(real_model.tokenize(b" film", add_bos=False)[0])


def test_a_batch_larger_than_made_for_is_refused(real_model):
    context = LlamaContext(real_model, 2)
    with pytest.raises(ValueError, match="3 tokens"):
        context.decode([BatchToken(1, i, 0, False) for i in range(3)])
