"""Sentence embeddings: all-MiniLM-L6-v2, offline, behind LangChain's ``Embeddings`` interface.

The same object embeds catalog items for Chroma (through langchain-chroma) and user queries. It
is the model's own forward pass in numpy (``vectors.minilm``), held to sentence-transformers'
vectors by ``tests/test_minilm.py``, so the app serves without torch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from langchain_core.embeddings import Embeddings

from recommender.models.packaged import default_embedding_model_path
from recommender.vectors.minilm import NumpyMiniLM

__all__ = ["load_embedder", "BackgroundEmbeddings", "EMBEDDER_NAME"]

log = logging.getLogger(__name__)

EMBEDDER_NAME = "all-MiniLM-L6-v2"


def load_embedder(model_path: Path | None = None) -> Embeddings:
    """MiniLM from its package folder, in numpy (``vectors.minilm``); never touches the
    Hugging Face hub, and needs neither torch nor sentence-transformers."""
    path = model_path or default_embedding_model_path()
    log.info("loading embedding model from %s", path)
    return NumpyMiniLM(path)


class BackgroundEmbeddings(Embeddings):
    """An embedder that loads on a background thread; calls wait until it is ready.

    Reading MiniLM's weights takes a moment, and a start has other work to do meanwhile; a
    turn needs an embedding only for a profile the person wrote.
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
