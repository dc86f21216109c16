"""The in-process LLM: llama-cpp-python running a GGUF file on the CPU.

``model`` loads it (with its adapter) and answers ``ChatModel.generate``; ``batch_decoder``
decodes every reply in flight as parallel sequences of one batch; ``filters`` turns the decoding
guards into logits processors (``word_guard`` holds their token tables); ``context`` is the one
small adapter over llama-cpp-python's low-level API; ``compat`` its work-arounds; ``speed`` the
speed probe."""

from recommender.models.llama_cpp.model import (
    LlamaCppChatModel,
    load_chat_model,
    load_llama,
    template_of,
)

__all__ = ["LlamaCppChatModel", "load_chat_model", "load_llama", "template_of"]
