"""Sentence embeddings: all-MiniLM-L6-v2 (sentence-transformers), offline, behind LangChain's
``Embeddings`` interface.

The same object embeds catalog items for Chroma (through langchain-chroma) and user queries.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from langchain_core.embeddings import Embeddings

from recommender.models.packaged import default_embedding_model_path

__all__ = ["load_embedder", "SentenceEmbeddings", "BackgroundEmbeddings", "EMBEDDER_NAME"]

log = logging.getLogger(__name__)

EMBEDDER_NAME = "all-MiniLM-L6-v2"


def load_embedder(threads: int, model_path: Path | None = None) -> Embeddings:
    """Load MiniLM from its package folder; never touches the Hugging Face hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    path = model_path or default_embedding_model_path()
    log.info("loading embedding model from %s", path)
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    # Item texts are title, facts and a 40-word overview; 96 word pieces hold nearly all of it
    # and embed ~15% faster than 128 on 2 cores (docs/benchmarks.md).
    model.max_seq_length = 96
    return SentenceEmbeddings(model)


SERVING_TORCH_THREADS = 1
"""torch's threads while the app serves (``torch_threads``)."""


def torch_threads(count: int) -> None:
    """Give torch ``count`` threads from now on (it is imported here if it was not).

    llama.cpp and torch share one OpenMP runtime here. With more of its threads alive than
    cores (llama.cpp's two, and two of torch's for each thread that ran it with two), it stops
    spinning at barriers, and every decode step waits on the kernel: a turn took 3.4 s so,
    2.4 s with torch on one thread from the start (docs/benchmarks.md). So the app serves with
    ``SERVING_TORCH_THREADS``, and bulk work (an index build) runs on more in a thread of its
    own (``loading.in_passing_thread``), whose OpenMP threads end with it."""
    import torch

    torch.set_num_threads(count)


class SentenceEmbeddings(Embeddings):
    """A sentence-transformers model behind LangChain's ``Embeddings`` interface (unit-length
    vectors, batches of 32), as langchain-huggingface's wrapper computes them, with the
    model's settings in reach through its public API."""

    def __init__(self, model, batch_size: int = 32) -> None:
        self.model = model
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        flat = [text.replace("\n", " ") for text in texts]
        return self.model.encode(flat, batch_size=self.batch_size, normalize_embeddings=True,
                                 show_progress_bar=False).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


class BackgroundEmbeddings(Embeddings):
    """An embedder that loads on a background thread; calls wait until it is ready.

    Importing sentence-transformers costs ~6 s on two cores, and a turn first needs embeddings
    at its retrieval step (after linking and the profile), so the app can serve meanwhile.
    """

    def __init__(self, loader: Callable[[], Embeddings]) -> None:
        self._ready = threading.Event()
        self._inner: Embeddings | None = None
        self._error: BaseException | None = None
        threading.Thread(target=self._load, args=(loader,), name="embedder-loader",
                         daemon=True).start()

    def _load(self, loader: Callable[[], Embeddings]) -> None:
        try:
            self._inner = loader()
        except BaseException as exc:  # handed to the first caller
            log.exception("embedding model failed to load")
            self._error = exc
        finally:
            self._ready.set()

    def wait(self) -> Embeddings:
        """The loaded embedder (blocks until it is)."""
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._inner is not None
        return self._inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.wait().embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.wait().embed_query(text)
