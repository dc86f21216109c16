"""Start-up: load the model, the embedder, the catalogs, and open (or build) their indexes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from langchain_core.embeddings import Embeddings

from recommender.collaborative.item_item import ITEM_ITEM_FILE, ItemItemModel
from recommender.collaborative.retriever import load_collaborative
from recommender.collaborative.artifacts import (
    FusionWeights,
    dataset_of,
    find_model_dir,
    load_fusion_weights,
)
from recommender.core.domain import CatalogParts, Domain, wire_domain
from recommender.core.pipeline import Recommender
from recommender.core.retrieval import (
    ContentRetriever,
    HybridRetriever,
    Retriever,
    TypedReading,
)
from recommender.core.taste import SharedTaste
from recommender.models.chat import ChatModel
from recommender.models.llama_cpp import load_chat_model
from recommender.vectors.index import ItemIndex
from recommender.vectors.shipped import SHIPPED_DIR
from recommender.vectors.store import open_client

from .catalog import Catalog, load_catalog
from .settings import Settings
from .startup_cache import built_once

__all__ = ["load_recommender", "load_domains", "load_model", "default_embedder",
           "domain_retriever", "catalog_parts"]

log = logging.getLogger(__name__)


def load_domains(settings: Settings, embedder: Embeddings, embedder_name: str,
                 catalogs: Mapping[str, Catalog] | None = None,
                 progress: bool = True) -> dict[str, Domain]:
    """Catalog, linker, grounding checker and index for each served domain."""
    client = open_client(settings.index_dir, settings.chroma_url)
    domains = {}
    for name in settings.domains:
        parts = CatalogParts.of(catalogs[name]) if catalogs and name in catalogs else \
            catalog_parts(settings, name)
        index = ItemIndex(client, parts.catalog, embedder, embedder_name,
                          shipped_dir=SHIPPED_DIR)
        index.ensure(progress=progress)
        domains[name] = wire_domain(parts, index, *domain_retriever(settings, client, index, name))
    return domains


def catalog_parts(settings: Settings, name: str) -> CatalogParts:
    """The catalog ``name`` from the data folder with its linker and grounding check, read
    from the index folder when kept there from the same data and code (``startup_cache``:
    about 1 s instead of about 4.5 s for both catalogs on two cores)."""
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    return built_once(settings.index_dir / "built", f"{name}-catalog", files,
                      lambda: CatalogParts.of(load_catalog(name, settings.data_dir)))


def domain_retriever(settings: Settings, client, index: ItemIndex,
               domain: str) -> tuple[Retriever, float]:
    """Hybrid retrieval with the weights chosen on validation users when a trained
    collaborative model exists for the domain; content retrieval otherwise."""
    content = ContentRetriever(index, settings.profile_weight)
    dataset = dataset_of(domain)
    if dataset is None:
        return content, FusionWeights().llm
    folder = find_model_dir(settings.index_dir, dataset, settings.collaborative_dir)
    weights = load_fusion_weights(folder)
    collaborative = load_collaborative(client, folder, domain, index.catalog)
    if collaborative is None:
        return content, weights.llm
    log.info("%s: hybrid retrieval (collaborative weight %.2f)", domain, weights.collaborative)
    return HybridRetriever(content, collaborative, weights.collaborative,
                           typed=_typed_reading(folder, weights, index.catalog)), weights.llm


def _typed_reading(folder: Path, weights: FusionWeights, catalog: Catalog) -> TypedReading | None:
    """The item-item model fitted beside the sequence model, with its weights per typed
    history length; ``None`` when either is missing (every history is fused as one)."""
    path = folder / ITEM_ITEM_FILE
    if not weights.typed_history or not path.is_file():
        return None
    return TypedReading(ItemItemModel.load(path, catalog), weights.typed_history,
                        SharedTaste.of(catalog) if weights.typed_taste else None,
                        weights.typed_taste or {})


def load_model(settings: Settings) -> ChatModel:
    """The LLM the settings name: a server's when ``llm_server_url`` is set, else the GGUF
    at ``model_path`` (the bundled SmolLM2 when unset) in this process."""
    if settings.llm_server_url:
        from recommender.models.server import ServerChatModel

        log.info("LLM: the server at %s", settings.llm_server_url)
        return ServerChatModel(settings.llm_server_url, settings.llm_server_model,
                               settings.llm_server_constraint, settings.llm_server_template,
                               settings.llm_timeout_s, at_once=settings.llm_server_at_once)
    return load_chat_model(settings.model_path, settings.threads, settings.context_tokens,
                           settings.llm_timeout_s, settings.adapter_path)


def default_embedder(settings: Settings) -> tuple[Embeddings, str]:
    """The bundled MiniLM, loaded in the background, and its name for the index."""
    from recommender.models.packaged import default_embedding_model_path
    from recommender.vectors.embeddings import (
        EMBEDDER_NAME,
        BackgroundEmbeddings,
        load_embedder,
    )

    path = default_embedding_model_path()  # a missing package fails here, at start-up
    return BackgroundEmbeddings(lambda: load_embedder(path)), EMBEDDER_NAME


def load_recommender(settings: Settings, model: ChatModel | None = None,
                     embedder: Embeddings | None = None, embedder_name: str | None = None,
                     catalogs: Mapping[str, Catalog] | None = None,
                     progress: bool = True) -> Recommender:
    """Everything a turn needs, warmed up (``Recommender.warm_up``), so the first turn waits on
    nothing. The model loads first: a bad model path fails fast."""
    started = time.perf_counter()
    if model is None:
        model = load_model(settings)
    warming = threading.Thread(target=model.warm_up,
                               name="model-warm-up", daemon=True)
    warming.start()  # beside the catalogs' loading and MiniLM's
    if embedder is None:
        embedder, embedder_name = default_embedder(settings)
    domains = load_domains(settings, embedder, embedder_name or type(embedder).__name__,
                           catalogs, progress)
    warming.join()
    recommender = Recommender(settings, model, domains)
    recommender.warm_up()
    log.info("recommender ready in %.1f s", time.perf_counter() - started)
    return recommender
