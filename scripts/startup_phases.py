"""Start-up by phase: the app's start taken apart, each step timed and the process's resident
memory read after it, in a fresh interpreter (imports are part of what a start costs).

    python scripts/startup_phases.py        # one JSON object

``python -m recommender benchmark`` runs it (``startup_phases``). The steps are
``load_recommender``'s and ``app.build_app``'s, one after another, so a phase's memory is what it
added (its libraries, its structures); what is freed later shows after the last collection."""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Phases:
    """Steps timed one after another, with the process's resident memory after each."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.rows: list[dict] = []
        self._last = self._rss()

    def step(self, name: str, work: Callable[[], object]) -> object:
        began = time.perf_counter()
        result = work()
        rss = self._rss()
        self.rows.append({"phase": name, "seconds": round(time.perf_counter() - began, 2),
                          "added_mib": rss - self._last, "resident_mib": rss})
        self._last = rss
        return result

    def report(self) -> dict:
        return {"phases": self.rows,
                "total_s": round(time.perf_counter() - self.started, 2),
                "resident_mib": self._rss()}

    @staticmethod
    def _rss() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
        return 0


def measure() -> dict:
    """The start, step by step, as ``load_recommender`` and ``app.main`` take it."""
    phases = Phases()
    phases.step("import gradio", lambda: __import__("gradio"))
    phases.step("import the recommender (chromadb, langchain, llama.cpp)",
                lambda: __import__("recommender.loading"))
    from recommender.core.domain import wire_domain
    from recommender.core.pipeline import Recommender
    from recommender.loading import catalog_parts, default_embedder, domain_retriever, load_model
    from recommender.settings import Settings
    from recommender.vectors.index import ItemIndex
    from recommender.vectors.shipped import SHIPPED_DIR
    from recommender.vectors.store import open_client

    settings = Settings.from_env()
    model = phases.step("load the model (GGUF and adapter)", lambda: load_model(settings))
    phases.step("warm up the model", model.warm_up)
    embedder, name = default_embedder(settings)
    phases.step("load MiniLM (numpy)", lambda: embedder.embed_query("warm-up"))
    client = phases.step("open Chroma", lambda: open_client(settings.index_dir,
                                                            settings.chroma_url))
    domains = {}
    for key in settings.domains:
        parts = phases.step(f"{key}: the catalog, its title linker and grounding vocabulary "
                            "(kept from the last start when unchanged)",
                            lambda: catalog_parts(settings, key))
        index = ItemIndex(client, parts.catalog, embedder, name, shipped_dir=SHIPPED_DIR)
        phases.step(f"{key}: open its index", lambda: index.ensure(progress=False))
        retriever = phases.step(f"{key}: its retrievers (collaborative, typed reading)",
                                lambda: domain_retriever(settings, client, index, key))
        domains[key] = wire_domain(parts, index, *retriever)
    recommender = Recommender(settings, model, domains)
    phases.step("warm up the turn (spelling tables, first retrievals)", recommender.warm_up)
    import app

    phases.step("build the page", lambda: app.build_app(recommender))
    phases.step("collect garbage", gc.collect)
    return {**phases.report(), "torch_imported": "torch" in sys.modules,
            "sentence_transformers_imported": "sentence_transformers" in sys.modules}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(measure()))
