"""Speed benchmark: start-up, first streamed text, whole turns, index build, model throughput.

Prints numbers; it asserts nothing (these machines are noisy). ``python -m recommender benchmark``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from recommender.catalog import load_catalog
from recommender.errors import RecommenderError
from recommender.conversation.turn import Answered, converse, first_answer, new_conversation
from recommender.core.turn import Linked, ProfileDelta, Ranked
from recommender.evaluation.soak import process_memory_mib
from recommender.local_servers import free_port, local_servers, running_process
from recommender.models.llama_cpp import LlamaCppChatModel
from recommender.settings import PROJECT_ROOT, Settings

__all__ = ["run_benchmark", "browser_turns", "startup_phases", "CONVERSATIONS"]

CONVERSATIONS: list[tuple[str, str]] = [
    ("movies", "I loved Alien, Blade Runner and The Matrix"),
    ("movies", "Toy Story, Finding Nemo, Up"),
    ("movies", "Pride and Prejudice, Notting Hill, Amelie"),
    ("movies", "The Godfather, Goodfellas and Heat"),
    ("movies", "Pulp Fiction, Fargo, Reservoir Dogs"),
    ("movies", "The Shining, Halloween, The Exorcist"),
    ("movies", "Casablanca, Vertigo, Rear Window"),
    ("movies", "Spirited Away, Princess Mononoke, My Neighbor Totoro"),
    ("movies", "The Lord of the Rings, Harry Potter and the Sorcerer's Stone, Willow"),
    ("movies", "Airplane!, The Naked Gun, Hot Shots!"),
    ("movies", "Saving Private Ryan, Platoon, Apocalypse Now"),
    ("movies", "The Notebook, Titanic, Ghost"),
    ("movies", "Inception, Memento, The Prestige"),
    ("movies", "Bowling for Columbine, Super Size Me, Fahrenheit 9/11"),
    ("movies", "Unforgiven, The Good, the Bad and the Ugly, Tombstone"),
    ("movies", "Die Hard, Lethal Weapon, Speed"),
    ("beauty", "Versace Bright Crystal, Prada Candy"),
    ("beauty", "Neutrogena Rapid Wrinkle Repair Eye, CeraVe moisturizing cream"),
    ("beauty", "OPI nail lacquer, Essie nail polish"),
    ("beauty", "Maybelline mascara, NYX Jumbo Eye Pencil"),
]


def run_benchmark(settings: Settings, conversations: int = 20, startup: bool = True,
                  index_build: bool = True, through_servers: bool = False,
                  bursts: Sequence[int] = ()) -> dict:
    """Measure and return a flat report of numbers (seconds unless named otherwise).
    ``through_servers``: start a Chroma server and an LLM server on loopback first and
    measure the app through them (``RECOMMENDER_CHROMA_URL``, ``RECOMMENDER_LLM_SERVER_URL``).
    ``bursts``: after the turns, send that many turns at once for each number given
    (``_bursts``)."""
    if not through_servers:
        return _measure(settings, conversations, startup, index_build, bursts)
    with tempfile.TemporaryDirectory() as folder, \
            local_servers(Path(folder), settings.threads, settings.context_tokens,
                          settings.model_path) as servers:
        served = replace(settings, chroma_url=servers.chroma_url,
                         llm_server_url=servers.llm_url)
        report = _measure(served, conversations, startup, index_build, bursts)
        for name, pid in (("chroma_server", servers.chroma_pid),
                          ("llm_server", servers.llm_pid)):
            memory = process_memory_mib(pid)
            report[f"{name}_memory_peak_mib"] = memory.get("VmHWM")
            report[f"{name}_memory_now_mib"] = memory.get("VmRSS")
        return report


def _measure(settings: Settings, conversations: int, startup: bool, index_build: bool,
             bursts: Sequence[int] = ()) -> dict:
    report: dict = {
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
                   f"Python {platform.python_version()}",
        "threads": settings.threads,
        "llm_server": settings.llm_server_url or "none (in process)",
        "chroma_server": settings.chroma_url or "none (embedded)",
    }
    from recommender.loading import load_recommender

    # first, so that the app's start is timed with every index built (a fresh Chroma server
    # has none yet)
    started = time.perf_counter()
    recommender = load_recommender(settings, progress=False)
    report["recommender_loaded_in_benchmark"] = _round(time.perf_counter() - started)
    if startup:
        report.update(_startup(settings))
    recommender.domain("movies").index.embedder.embed_query("warm-up")
    report["model"] = recommender.model.name
    report.update(_throughput(recommender.model))
    report.update(_turns(recommender, conversations))
    for size in bursts:
        report.update(_burst(recommender, size))
    report["benchmark_process_memory_peak_mib"] = process_memory_mib(os.getpid()).get("VmHWM")
    if index_build:
        report.update(_index_build(settings))
    return report


def _turns(recommender, count: int) -> dict:
    firsts, first_tokens, first_picks, totals, llm_share, replaced = [], [], [], [], [], 0
    stages: dict[str, list[float]] = {}
    chosen = [CONVERSATIONS[i % len(CONVERSATIONS)] for i in range(count)]
    for domain, message in chosen:
        started = time.perf_counter()
        first = first_token = first_pick = None
        deltas = 0
        for event in converse(recommender, new_conversation(recommender, domain), message):
            now = time.perf_counter() - started
            if first is None and isinstance(event, Linked):
                first = now
            if first_pick is None and isinstance(event, Ranked):
                first_pick = now
            if isinstance(event, ProfileDelta):
                deltas += 1
                if deltas == 2:  # the first is the fixed opening; the second is the model's
                    first_token = now
            if isinstance(event, Answered):
                for stage, seconds in event.result.turn.timings.items():
                    stages.setdefault(stage, []).append(seconds)
                totals.append(now)
                data = event.result.to_dict()["checks"]
                replaced += data["explanations_checked"] - data["explanations_from_llm"]
                llm_share.append(data["explanations_from_llm"])
        firsts.append(first or 0.0)
        first_tokens.append(first_token or 0.0)
        first_picks.append(first_pick or 0.0)
    explained = 5 * len(totals) if totals else 1
    return {
        "turns": len(totals),
        "first_streamed_text_median": _round(statistics.median(firsts)),
        "first_model_token_median": _round(statistics.median(first_tokens)),
        "picks_known_median": _round(statistics.median(first_picks)),
        "turn_complete_median": _round(statistics.median(totals)),
        "turn_complete_p90": _round(_quantile(totals, 0.9)),
        "turn_complete_max": _round(max(totals)),
        "explanations_kept_from_llm_pct": _round(100 * sum(llm_share) / explained, 1),
        "explanations_replaced": replaced,
        **{f"stage_{name}_median": _round(statistics.median(values), 3)
           for name, values in stages.items() if name != "total"},
    }


def _burst(recommender, size: int) -> dict:
    """``size`` turns sent at once from as many threads (the conversations above, round
    robin), as the app's visitors do: seconds from sending to the whole answer. The app runs
    ``RECOMMENDER_TURNS_AT_ONCE`` of them at once and queues the rest; so does this."""
    running = threading.Semaphore(recommender.settings.turns_at_once)
    sent = time.perf_counter()

    def turn(n: int) -> float:
        domain, message = CONVERSATIONS[n % len(CONVERSATIONS)]
        with running:
            first_answer(recommender, domain, message)
        return time.perf_counter() - sent

    with ThreadPoolExecutor(size) as pool:
        seconds = sorted(pool.map(turn, range(size)))
    return {f"burst_{size}_p50": _round(statistics.median(seconds)),
            f"burst_{size}_p95": _round(_quantile(seconds, 0.95)),
            f"burst_{size}_max": _round(seconds[-1]),
            f"burst_{size}_most_model_calls_together":
                recommender.model.most_in_flight
                if isinstance(recommender.model, LlamaCppChatModel) else None}


def _throughput(model) -> dict:
    """The in-process model's speed (``LlamaCppChatModel.speed``); nothing for a server's."""
    return model.speed() if isinstance(model, LlamaCppChatModel) else {}


def _startup(settings: Settings) -> dict:
    """Start ``python app.py`` as a user would and time it: with the index already built, and
    as a first start on a fresh clone (an empty index folder: the catalogs' shipped vectors are
    loaded, nothing embedded). With a Chroma server, only the first."""
    report = _app_start(settings, {}, "app")
    report["startup_phases"] = startup_phases(settings)
    if not settings.chroma_url:
        with tempfile.TemporaryDirectory(prefix="benchmark-fresh-index-") as fresh:
            report.update(_app_start(settings, {"RECOMMENDER_INDEX_DIR": fresh},
                                     "app_first_start"))
    return report


def _app_start(settings: Settings, env: dict[str, str], name: str) -> dict:
    """Seconds from starting the app to its page, and to its first answer; its memory."""
    from gradio_client import Client

    port = free_port()
    env = {**env, "RECOMMENDER_PORT": str(port), "RECOMMENDER_HOST": "127.0.0.1",
           "RECOMMENDER_CHROMA_URL": settings.chroma_url,
           "RECOMMENDER_LLM_SERVER_URL": settings.llm_server_url}
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="benchmark-app-") as folder:
        started = time.perf_counter()
        with running_process("the app", [sys.executable, str(PROJECT_ROOT / "app.py")], url,
                             Path(folder) / "app.log", env=env, limit_s=600,
                             poll_s=0.1) as process:
            served = time.perf_counter() - started
            Client(url, verbose=False).predict("Alien, Heat", "movies", api_name="/recommend")
            answered = time.perf_counter() - started
            memory = process_memory_mib(process.pid)
    return {f"{name}_page_served": _round(served),
            f"{name}_first_answer_complete": _round(answered),
            f"{name}_memory_peak_mib": memory.get("VmHWM"),
            f"{name}_memory_now_mib": memory.get("VmRSS")}


def startup_phases(settings: Settings, limit_s: float = 600) -> dict:
    """The app's start taken apart in a fresh interpreter (``scripts/startup_phases.py``): each
    phase's seconds and the resident memory it added."""
    env = {**os.environ, "RECOMMENDER_CHROMA_URL": settings.chroma_url,
           "RECOMMENDER_LLM_SERVER_URL": settings.llm_server_url}
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "startup_phases.py")],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=limit_s, check=False)
    if done.returncode != 0:
        raise RecommenderError("The start-up phases failed (scripts/startup_phases.py); its "
                               f"last words: {done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _index_build(settings: Settings) -> dict:
    """The movie index built from scratch (every item embedded) and from the shipped vectors."""
    from recommender.vectors.embeddings import EMBEDDER_NAME, load_embedder
    from recommender.vectors.index import ItemIndex
    from recommender.vectors.shipped import SHIPPED_DIR
    from recommender.vectors.store import open_client

    embedder = load_embedder()
    catalog = load_catalog("movies", settings.data_dir)
    report = {"movie_index_items": len(catalog)}
    for name, shipped_dir in (("movie_index_build", None),
                              ("movie_index_from_shipped", SHIPPED_DIR)):
        with tempfile.TemporaryDirectory() as folder:
            index = ItemIndex(open_client(Path(folder)), catalog, embedder, EMBEDDER_NAME,
                              shipped_dir=shipped_dir)
            started = time.perf_counter()
            index.rebuild(progress=False)
            report[name] = _round(time.perf_counter() - started)
            report[f"{name}_embedded"] = index.embedded
    return report


def browser_turns(settings: Settings, count: int) -> dict:
    """Start the app and time ``count`` fresh visitors' turns in Chromium against the same lists
    through ``/recommend`` (``scripts/browser_turns.py``): Enter to the first text, the first
    pick's title and the settled answer; the API turn; their ratio."""
    if shutil.which("chromium") is None:
        raise RecommenderError("benchmark --browser drives Debian's Chromium, which is not "
                               "installed: run `make chromium` (apt-get install chromium).")
    lists = [m for d, m in CONVERSATIONS if d == "movies"]
    messages = [lists[n % len(lists)] for n in range(count)]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {"RECOMMENDER_PORT": str(port), "RECOMMENDER_HOST": "127.0.0.1"}
    with tempfile.TemporaryDirectory(prefix="benchmark-browser-") as folder, \
            running_process("the app", [sys.executable, str(PROJECT_ROOT / "app.py")], url,
                            Path(folder) / "app.log", env=env, limit_s=600):
        command = [sys.executable, str(PROJECT_ROOT / "scripts" / "browser_turns.py"),
                   "--url", url, "--json", *(a for m in messages for a in ("--message", m))]
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800,
                              env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    if done.returncode != 0:
        raise RecommenderError("The browser measure failed (scripts/browser_turns.py); its last "
                               f"output:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _round(value: float, digits: int = 2) -> float:
    return round(value, digits)


