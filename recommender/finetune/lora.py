"""LoRA training of the local model on chat examples, on the CPU (or a GPU when asked).

The base is the GGUF the app runs, loaded by ``transformers`` (dequantized to fp32, with the
``gguf`` package), so the adapter is trained on exactly the weights llama.cpp applies it to.
Each example is a chat (system, user, ...) and the assistant reply's opening, already decided
by the app ("1. Like Alien, Aliens is"), plus the target continuation; the loss is taken on
the target's tokens only. SmolLM2 ties its input and output embeddings, so only the attention
and MLP projections are adapted (``TARGET_MODULES``), which llama.cpp can apply on the
quantized base at run time.

Training saves a checkpoint every ``save_every`` steps and resumes from the last one; the result
is a PEFT adapter folder and its GGUF (``gguf_adapter.write_gguf_adapter``)."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from recommender.errors import RecommenderError

__all__ = ["LoraConfig", "ChatExample", "PromptLayout", "TARGET_MODULES", "load_base",
           "length_grouped",
           "train_lora", "encode", "export_gguf", "ADAPTER_FILE"]

log = logging.getLogger(__name__)

TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
ADAPTER_FILE = "adapter.gguf"


@dataclass(frozen=True)
class LoraConfig:
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.05
    learning_rate: float = 5e-4
    epochs: float = 1.0
    batch_size: int = 8
    max_tokens: int = 512
    """Longer examples are cut from the left (the system text and the oldest history go)."""
    save_every: int = 20
    seed: int = 0


@dataclass(frozen=True)
class ChatExample:
    """A chat, the start of the assistant's reply (fixed by the app), and what should follow."""

    messages: tuple[dict, ...]
    opening: str
    target: str


def load_base(gguf_path: Path, device: str = "cpu"):
    """The fp32 model of a GGUF file, through ``transformers``."""
    try:
        import gguf  # noqa: F401  (transformers reads GGUF files with it)
        import peft  # noqa: F401
        from transformers import AutoModelForCausalLM
    except ImportError as exc:
        raise RecommenderError(f"Fine-tuning needs {exc.name}: pip install -r requirements.txt "
                               "(it pins gguf and peft).") from exc
    import torch

    model = AutoModelForCausalLM.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name,
                                                 dtype=torch.float32)
    return model.to(device)


class PromptLayout:
    """The prompt exactly as the app lays it out and tokenizes it (``LlamaCppChatModel``):
    the GGUF's chat template through llama.cpp's formatter, control-token text neutralised,
    and llama.cpp's tokenizer, loaded vocabulary-only."""

    def __init__(self, gguf_path: Path) -> None:
        from llama_cpp import Llama

        from recommender.models.llama_cpp import template_of

        self._llama = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
        self._formatter, self.end_of_turn = template_of(self._llama)

    def prompt_ids(self, messages: Sequence[dict], opening: str) -> list[int]:
        from recommender.models.chat import neutralized

        prompt = self._formatter(messages=neutralized(messages)).prompt + opening
        return self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def text_ids(self, text: str) -> list[int]:
        """What the model generates to write ``text`` after a prompt."""
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)


def encode(layout: PromptLayout, example: ChatExample,
           max_tokens: int) -> tuple[list[int], list[int]]:
    """Token ids of the chat, the reply's opening and the target, and labels: -100 except on
    the target's tokens. Too long: cut from the left."""
    context = layout.prompt_ids(example.messages, example.opening)
    target = layout.text_ids(example.target)
    ids = (context + target)[-max_tokens:]
    labels = ([-100] * len(context) + target)[-max_tokens:]
    return ids, labels


GROUP_BATCHES = 8
"""Batches whose examples are sorted by length together (``length_grouped``)."""


def length_grouped(lengths: Sequence[int], batch_size: int, seed: int) -> list[int]:
    """A shuffled order of the examples in which each batch holds examples of about one
    length: shuffled, sorted by length within windows of ``GROUP_BATCHES`` batches, and the
    batches shuffled again. A batch is padded to its longest example, so with histories of up
    to eight items a random order padded most batches to the longest prompt (47.8 s a step on
    two cores, against about 20 s with histories of up to five)."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * GROUP_BATCHES
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda n: lengths[n])
        batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return [n for batch in batches for n in batch]


def train_lora(layout: PromptLayout, model, examples: Sequence[ChatExample], config: LoraConfig,
               out: Path, progress: Callable[[int, int, float], None] | None = None,
               device: str = "cpu") -> dict:
    """Train a LoRA adapter on ``examples`` into ``out`` (resuming from ``out/checkpoint``),
    and return what was done: steps, seconds, the mean loss of the last steps."""
    import torch
    from peft import LoraConfig as PeftConfig
    from peft import PeftModel, get_peft_model

    if not examples:
        raise RecommenderError("No training examples: nothing to fine-tune on.")
    torch.manual_seed(config.seed)
    encoded = [encode(layout, e, config.max_tokens) for e in examples]
    order = length_grouped([len(ids) for ids, _ in encoded], config.batch_size, config.seed)
    steps = max(1, round(len(encoded) * config.epochs / config.batch_size))
    checkpoint = out / "checkpoint"
    if isinstance(model, PeftModel):
        peft_model = model
    else:
        peft_model = get_peft_model(model, PeftConfig(
            r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
            target_modules=list(TARGET_MODULES), task_type="CAUSAL_LM"))
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad],
                                  lr=config.learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / 10) * max(0.0, 1 - step / steps))
    done, losses = _resumed(checkpoint, config, len(encoded), peft_model, optimizer, scheduler)
    if done:
        log.info("resuming at step %d of %d", done, steps)
    peft_model.train()
    started = time.perf_counter()
    for step in range(done, steps):
        batch = [encoded[order[(step * config.batch_size + n) % len(order)]]
                 for n in range(config.batch_size)]
        loss = peft_model(**_padded(batch, device)).loss
        loss.backward()
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(round(float(loss.detach()), 4))
        if progress:
            progress(step + 1, steps, losses[-1])
        if (step + 1) % config.save_every == 0 or step + 1 == steps:
            _save_checkpoint(peft_model, optimizer, scheduler, checkpoint,
                             {"config": asdict(config), "examples": len(encoded),
                              "steps": step + 1, "losses": losses})
    peft_model.save_pretrained(out / "peft")
    return {"steps": steps, "resumed_at": done, "seconds": round(time.perf_counter() - started, 1),
            "final_loss": round(sum(losses[-10:]) / len(losses[-10:]), 4), "model": peft_model}


def _resumed(checkpoint: Path, config: LoraConfig, examples: int, peft_model, optimizer,
             scheduler) -> tuple[int, list[float]]:
    """The steps done and their losses when ``checkpoint`` holds a run of the same settings
    and data (its weights, optimizer and schedule loaded); none when it holds nothing."""
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    state_file = checkpoint / "state.json"
    if not state_file.is_file():
        return 0, []
    state = json.loads(state_file.read_text())
    if state["config"] != asdict(config) or state["examples"] != examples:
        raise RecommenderError(f"{checkpoint} was made with other settings or data. Delete "
                               "it to start again, or run with the settings it was made "
                               "with.")
    set_peft_model_state_dict(peft_model, load_file(checkpoint / "adapter_model.safetensors"))
    optimizer.load_state_dict(torch.load(checkpoint / "optimizer.pt", weights_only=True))
    scheduler.load_state_dict(torch.load(checkpoint / "scheduler.pt", weights_only=True))
    return state["steps"], state["losses"]


def _padded(batch: Sequence[tuple[list[int], list[int]]], device: str) -> dict:
    """A batch of (ids, labels) as the model's inputs, padded to its longest: padded positions
    are masked and unlabelled."""
    import torch

    pad = 0
    width = max(len(ids) for ids, _ in batch)
    return {"input_ids": torch.tensor([i + [pad] * (width - len(i)) for i, _ in batch],
                                      device=device),
            "labels": torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch],
                                   device=device),
            "attention_mask": torch.tensor([[1] * len(i) + [0] * (width - len(i))
                                            for i, _ in batch], device=device)}


def _save_checkpoint(model, optimizer, scheduler, folder: Path, state: dict) -> None:
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    save_file(get_peft_model_state_dict(model), folder / "adapter_model.safetensors")
    torch.save(optimizer.state_dict(), folder / "optimizer.pt")
    torch.save(scheduler.state_dict(), folder / "scheduler.pt")
    temporary = folder / "state.json.tmp"
    temporary.write_text(json.dumps(state))
    temporary.replace(folder / "state.json")  # written last: a checkpoint is whole or absent


def export_gguf(peft_model, path: Path, base: str) -> int:
    """The trained adapter of ``peft_model`` as a GGUF adapter at ``path`` (see
    ``gguf_adapter``), recording ``base``; returns the tensor count."""
    from peft import get_peft_model_state_dict

    from recommender.finetune.gguf_adapter import write_gguf_adapter

    config = peft_model.base_model.model.config
    lora = peft_model.peft_config["default"]
    tensors = {key: value.detach().float().cpu().numpy()
               for key, value in get_peft_model_state_dict(peft_model).items()}
    return write_gguf_adapter(tensors, lora.lora_alpha, config.num_attention_heads,
                              config.num_key_value_heads, path, base)
