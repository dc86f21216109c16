"""Sentence embeddings: all-MiniLM-L6-v2, offline, behind LangChain's ``Embeddings`` interface.

The same object embeds catalog items for Chroma (through langchain-chroma) and user queries.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from langchain_core.embeddings import Embeddings

from .models import default_embedding_model_path

__all__ = ["load_embedder", "EMBEDDER_NAME"]

log = logging.getLogger(__name__)

EMBEDDER_NAME = "all-MiniLM-L6-v2"


def load_embedder(threads: int, model_path: Path | None = None) -> Embeddings:
    """Load MiniLM from its package folder; never touches the Hugging Face hub."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from langchain_huggingface import HuggingFaceEmbeddings

    torch.set_num_threads(threads)
    path = model_path or default_embedding_model_path()
    log.info("loading embedding model from %s", path)
    embedder = HuggingFaceEmbeddings(
        model_name=str(path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )
    # Item texts are title, facts and a 40-word overview; 96 word pieces hold nearly all of it
    # and embed ~15% faster than 128 on 2 cores (docs/benchmarks.md).
    embedder._client.max_seq_length = 96
    return embedder
