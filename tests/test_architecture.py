"""The package's shape, read from its own imports (``docs/architecture.md``): the layers import
only downwards (or beside themselves), no two files import each other round a circle, and an
import inside a function is one of those that say why they are there (``LAZY_LIBRARIES``,
``LAZY_OWN``)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LAYERS: dict[str, int] = {
    "app": 5, "recommender.cli": 5, "recommender.__main__": 5,
    "recommender.web": 4, "recommender.study": 4, "recommender.evaluation": 4,
    "recommender.finetune": 4, "recommender.loading": 4, "recommender.local_servers": 4,
    "recommender.deployment": 4,
    "recommender.conversation": 3, "recommender.collaborative": 3,
    "recommender.core": 2,
    "recommender.vectors": 1, "recommender.models": 1, "recommender.catalog": 1,
    "recommender.product_facts": 1,
    "recommender.vocabulary": 0, "recommender.settings": 0, "recommender.errors": 0,
    "recommender.markup": 0, "recommender.caching": 0, "recommender.startup_cache": 0,
    "recommender": 0,
}
"""Each part of the package and its layer: entry points, what uses a turn, the turn's words,
the PALR core, what the core stands on, and the words and settings under everything."""

LAZY_LIBRARIES: dict[str, str] = {
    "llama_cpp": "compiled llama.cpp (about 1 s to load): only where a model is loaded or used",
    "torch": "about 6 s to import on two cores: only training, fine-tuning and embedding",
    "sentence_transformers": "pulls in torch: only where MiniLM is loaded",
    "transformers": "pulls in torch: only fine-tuning",
    "peft": "pulls in torch: only fine-tuning",
    "safetensors": "only where adapter weights are read or written",
    "gguf": "only where an adapter file is written or read",
    "chromadb": "its client starts threads and a SQLite store: only where an index is opened",
    "matplotlib": "only the report plots",
    "yaml": "only a llama_cpp.server config file",
    "uvicorn": "only the LLM server launcher",
    "gradio_client": "only the benchmark and the study walkthrough talking to a running app",
}
"""Libraries imported inside the functions that need them, and why not at the top: the app's
first page, ``python -m recommender --help`` and the tests on fakes do not pay for them."""

LAZY_OWN: dict[str, str] = {
    "app.py": "the start-up stack (chromadb, llama.cpp, the catalogs; about 2 s) loads when the "
              "app starts, not when a test builds its page on fakes",
    "recommender/cli/commands.py": "each command imports the stack it runs (training, "
                                   "evaluation and fine-tuning pull in torch)",
    "recommender/evaluation/run.py": "each protocol loads its own models (SASRec: torch)",
    "recommender/evaluation/typed_run.py": "the typed protocol trains item-item and SASRec rows",
    "recommender/evaluation/benchmark.py": "the index build and server runs load their stacks",
    "recommender/finetune/run.py": "the training stack (torch, peft) only when training",
    "recommender/finetune/lora.py": "the GGUF layout and export only when used",
    "recommender/loading.py": "the server backend and MiniLM only when the settings name them",
    "recommender/collaborative/retriever.py": "a model saved before its numpy weights is "
                                              "converted once with torch (``sasrec``); serving "
                                              "never imports torch otherwise",
    "recommender/study/ui.py": "the chat page's parts only when a study page is built",
}
"""Modules whose own-package imports sit inside functions, and why."""


def _modules() -> dict[str, Path]:
    paths = {"app": ROOT / "app.py"}
    for path in (ROOT / "recommender").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        paths[name] = path
    return paths


def _layer(module: str) -> int:
    while module not in LAYERS:
        module = module.rpartition(".")[0]
    return LAYERS[module]


def _imports(path: Path, module: str, known: set[str]) -> list[tuple[str, bool, int]]:
    """(imported module of the package, inside a function?, line) for every import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {id(node) for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
             for node in ast.walk(fn)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                     for a in node.names]
        else:
            continue
        for name in names:
            out.append((name, id(node) in inner, node.lineno))
    return out


def _graph() -> tuple[dict[str, set[str]], list[tuple[str, str, int]]]:
    modules = _modules()
    known = set(modules)
    edges: dict[str, set[str]] = {m: set() for m in modules}
    inner: list[tuple[str, str, int]] = []
    for module, path in modules.items():
        for name, in_function, line in _imports(path, module, known):
            if in_function:
                inner.append((module, name, line))
            target = name
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module and not in_function:
                edges[module].add(target)
    return edges, inner


def _upward(edges: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} ({_layer(m)}) imports {t} ({_layer(t)})" for m, targets in edges.items()
                  for t in targets if _layer(t) > _layer(m))


def _circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports between files (a package's ``__init__`` re-exporting its own
    modules is none)."""
    edges = {m: {t for t in ts if not m.startswith(f"{t}.")} for m, ts in edges.items()}
    seen: set[str] = set()
    circles = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(edges.get(module, ())):
            if target in path:
                circles.append(path[path.index(target):] + [target])
            elif target not in seen:
                seen.add(target)
                visit(target, [*path, target])

    for module in sorted(edges):
        if module not in seen:
            seen.add(module)
            visit(module, [module])
    return circles


def test_no_module_imports_from_a_layer_above_its_own():
    assert _upward(_graph()[0]) == []


def test_no_two_files_import_each_other_round_a_circle():
    assert _circles(_graph()[0]) == []


def test_the_checks_find_an_upward_import_and_a_circle():
    edges = {"recommender.core.a": {"recommender.conversation.turn"},
             "recommender.conversation.turn": {"recommender.core.a"},
             "recommender.core": {"recommender.core.a"}}
    assert _upward(edges) == ["recommender.core.a (2) imports recommender.conversation.turn (3)"]
    assert _circles(edges) == [["recommender.conversation.turn", "recommender.core.a",
                                "recommender.conversation.turn"]]


def test_each_import_inside_a_function_is_one_that_says_why():
    _, inner = _graph()
    modules = _modules()
    unexplained = []
    for module, name, line in inner:
        path = str(modules[module].relative_to(ROOT))
        top = name.split(".")[0]
        if top == "recommender":
            if path not in LAZY_OWN:
                unexplained.append(f"{path}:{line} imports {name}")
        elif top not in LAZY_LIBRARIES:
            unexplained.append(f"{path}:{line} imports {name}")
    assert unexplained == []
