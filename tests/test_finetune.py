"""LoRA fine-tuning of the bundled model, end to end on a few examples: train a few steps,
write the GGUF adapter, load it through llama.cpp on the quantized base, and check that
llama.cpp applies the same change to the logits as the PEFT model (so the name mapping and
the rotary permutation of the query and key projections are right), and that a wrong or
broken adapter stops the load with a message naming the setting."""

from pathlib import Path

import numpy as np
import pytest

from recommender.errors import ModelLoadError, RecommenderError
from recommender.finetune.gguf_adapter import rope_permute, write_gguf_adapter
from recommender.finetune.lora import (
    ChatExample,
    LoraConfig,
    PromptLayout,
    encode,
    export_gguf,
    length_grouped,
    load_base,
    train_lora,
)
from recommender.models.adapters import (
    SHIPPED_ADAPTER,
    adapter_base,
    gguf_metadata_identity,
    resolve_adapter,
)
from recommender.models.chat import Request, complete
from recommender.models.llama_cpp import LlamaCppChatModel
from recommender.models.packaged import default_gguf_path

BASE = default_gguf_path()
MESSAGES = ({"role": "system", "content": "You are a movie recommender."},
            {"role": "user", "content": "Describe each pick: Rio Grande: Western"})
EXAMPLES = [ChatExample(MESSAGES, "1. Like Rio Bravo, Rio Grande is",
                        " a Western with John Wayne on the frontier.\n")] * 4


@pytest.fixture(scope="module")
def layout():
    return PromptLayout(BASE)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, layout):
    out = tmp_path_factory.mktemp("adapter")
    model = load_base(BASE)
    config = LoraConfig(rank=4, alpha=8, learning_rate=3e-3, epochs=3, batch_size=2,
                        save_every=2, max_tokens=128)
    seen = []
    done = train_lora(layout, model, EXAMPLES, config, out,
                      progress=lambda step, steps, loss: seen.append((step, steps, loss)))
    path = out / "adapter.gguf"
    export_gguf(done["model"], path, gguf_metadata_identity(BASE))
    return {"out": out, "path": path, "done": done, "seen": seen, "config": config}


def test_labels_cover_only_the_target(layout):
    ids, labels = encode(layout, EXAMPLES[0], 512)
    target = layout.text_ids(EXAMPLES[0].target)
    assert ids[-len(target):] == target and labels[-len(target):] == target
    assert set(labels[:-len(target)]) == {-100}
    cut_ids, cut_labels = encode(layout, EXAMPLES[0], 20)
    assert len(cut_ids) == 20 and cut_ids == ids[-20:] and cut_labels == labels[-20:]


@pytest.mark.slow
def test_training_lowers_the_loss_and_reports_progress(trained):
    losses = [loss for _, _, loss in trained["seen"]]
    assert [s for s, _, _ in trained["seen"]] == list(range(1, 7))
    assert losses[-1] < losses[0]
    assert (trained["out"] / "checkpoint" / "state.json").is_file()


@pytest.mark.slow
def test_a_finished_training_resumes_without_redoing_steps(trained, layout):
    model = load_base(BASE)
    again = train_lora(layout, model, EXAMPLES, trained["config"], trained["out"])
    assert again["resumed_at"] == again["steps"] == 6
    other = LoraConfig(rank=8)
    with pytest.raises(RecommenderError, match="other settings or data"):
        train_lora(layout, load_base(BASE), EXAMPLES, other, trained["out"])


def test_llama_cpp_applies_the_adapter_as_peft_does(trained, layout):
    import torch
    from llama_cpp import Llama

    ids = layout.prompt_ids(MESSAGES, "1. Like Rio Bravo, Rio Grande is")

    from recommender.models.llama_cpp.compat import without_amx_repacking

    def llama_logits(lora):
        with without_amx_repacking():  # as the app loads it: AMX buffers crash on these VMs
            llama = Llama(model_path=str(BASE), lora_path=lora, n_ctx=256, logits_all=True,
                          verbose=False, seed=0, n_threads=2)
        llama.eval(ids)
        return np.array(llama.scores[llama.n_tokens - 1], dtype=np.float64)

    peft_model = trained["done"]["model"].eval()
    with torch.no_grad():
        tuned = peft_model(input_ids=torch.tensor([ids])).logits[0, -1].double().numpy()
        with peft_model.disable_adapter():
            base = peft_model(input_ids=torch.tensor([ids])).logits[0, -1].double().numpy()
    change_peft = tuned - base
    untuned = llama_logits(None)
    change_llama = llama_logits(str(trained["path"])) - untuned
    assert np.abs(change_peft).max() > 1.0  # the adapter does change the next token
    matched = np.corrcoef(change_peft, change_llama)[0, 1]
    assert matched > 0.95
    # The rows of q and k must be permuted. Their share of the change is small beside the
    # MLP's, so compare on the q and k weights alone (the others' B zeroed), written both ways.
    from peft import get_peft_model_state_dict, set_peft_model_state_dict

    import recommender.finetune.gguf_adapter as writer
    state = {k: (v if ("q_proj" in k or "k_proj" in k or "lora_A" in k) else v * 0)
             for k, v in get_peft_model_state_dict(peft_model).items()}
    set_peft_model_state_dict(peft_model, state)
    with torch.no_grad():
        change_qk = peft_model(input_ids=torch.tensor([ids])).logits[0, -1].double().numpy() - base
    tensors = {k: v.float().numpy() for k, v in state.items()}
    permuted, unpermuted = trained["out"] / "qk.gguf", trained["out"] / "qk-unpermuted.gguf"
    write_gguf_adapter(tensors, 8.0, 9, 3, permuted, base="b")
    original, writer.rope_permute = writer.rope_permute, lambda rows, heads: rows
    try:
        write_gguf_adapter(tensors, 8.0, 9, 3, unpermuted, base="b")
    finally:
        writer.rope_permute = original
    right = np.corrcoef(change_qk, llama_logits(str(permuted)) - untuned)[0, 1]
    wrong = np.corrcoef(change_qk, llama_logits(str(unpermuted)) - untuned)[0, 1]
    print(f"logit change correlation: {matched:.4f}; q and k alone {right:.4f}, "
          f"unpermuted {wrong:.4f}")
    assert right > 0.8 and wrong < right - 0.3, (right, wrong)  # measured: .88 and .24
    assert rope_permute(np.arange(8.0)[:, None], 2).ravel().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_the_app_model_loads_the_adapter_and_answers(trained):
    model = LlamaCppChatModel(BASE, threads=2, context_tokens=512, adapter_path=trained["path"])
    assert model.name.endswith("+ adapter.gguf")
    text = complete(model, Request(list(MESSAGES), 12, prefix="1. Like Rio Bravo, Rio Grande is",
                                   stop=("\n",)))
    assert text.strip()
    assert adapter_base(trained["path"]) == gguf_metadata_identity(BASE)


def test_a_missing_broken_or_foreign_adapter_stops_the_load_naming_the_setting(trained, tmp_path):
    with pytest.raises(ModelLoadError, match="RECOMMENDER_ADAPTER_PATH"):
        LlamaCppChatModel(BASE, 2, 512, adapter_path=tmp_path / "absent.gguf")
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF not really")
    with pytest.raises(ModelLoadError, match="RECOMMENDER_ADAPTER_PATH"):
        LlamaCppChatModel(BASE, 2, 512, adapter_path=broken)
    foreign = tmp_path / "foreign.gguf"
    a = np.zeros((4, 576), dtype=np.float32)
    b = np.zeros((576, 4), dtype=np.float32)
    write_gguf_adapter({"model.layers.0.self_attn.v_proj.lora_A.weight": a,
                        "model.layers.0.self_attn.v_proj.lora_B.weight": b[:192]},
                       8.0, 9, 3, foreign, base="llama | Another model | 22 | 2048 | 32000")
    with pytest.raises(ModelLoadError, match="trained for another model"):
        LlamaCppChatModel(BASE, 2, 512, adapter_path=foreign)


def test_which_adapter_applies():
    assert resolve_adapter(Path("none"), None) is None
    assert resolve_adapter(Path("/x/a.gguf"), Path("/m.gguf")) == Path("/x/a.gguf")
    assert resolve_adapter(None, None) == SHIPPED_ADAPTER  # on by default for the bundled model
    assert resolve_adapter(None, Path("/m.gguf")) is None  # but not for a model of one's own
    assert resolve_adapter(Path("shipped"), None).name == "smollm2-135m-instruct.gguf"


def test_an_adapter_of_modules_llama_cpp_cannot_apply_is_refused(tmp_path):
    with pytest.raises(RecommenderError, match="cannot apply"):
        write_gguf_adapter({"model.embed_tokens.lora_A.weight": np.zeros((2, 2))}, 1.0, 9, 3,
                           tmp_path / "x.gguf", base="b")


def test_batches_hold_examples_of_about_one_length_in_a_seeded_order():
    lengths = list((50, 300, 60, 290, 55, 310, 65, 280) * 8)
    order = length_grouped(lengths, 4, seed=0)
    assert sorted(order) == list(range(len(lengths)))  # every example once
    assert order == length_grouped(lengths, 4, seed=0) != length_grouped(lengths, 4, seed=1)
    batches = [order[i:i + 4] for i in range(0, len(order), 4)]
    padded = sum(4 * max(lengths[n] for n in b) for b in batches)
    assert padded < 1.1 * sum(lengths)  # a random order pads nearly every batch to ~300
    assert {lengths[b[0]] < 100 for b in batches} == {True, False}  # short and long batches
