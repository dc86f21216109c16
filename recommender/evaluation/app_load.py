"""Many visitors at once through the app: bursts of fresh sessions, each sending two liked
films at the same moment through Gradio's queue (``gradio_client``, the chat endpoint the page
uses), with the seconds each waited for its whole answer and a check that no answer holds
anything of another session's.

``benchmark --app-load 1,10,30`` starts the app (``app.py``, the settings of the environment)
on a free loopback port and runs it; the tests hold a small burst to the same checks on the
real stack (``tests/test_load.py``)."""

from __future__ import annotations

import html
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from recommender.catalog import Catalog
from recommender.conversation.turn import ASK_BELOW
from recommender.core.linking import TitleLinker
from recommender.local_servers import free_port, running_process
from recommender.settings import PROJECT_ROOT

__all__ = ["plain_pairs", "send_bursts", "check_apart", "app_load", "shown", "titles_named"]

def plain_pairs(catalog: Catalog, linker: TitleLinker, count: int,
                first: Sequence[str] = ()) -> list[list[str]]:
    """``count`` pairs of film labels (the ``first`` labels, then the most popular films), no
    film in two pairs, each pair linked by the app without asking which film was meant
    (``ASK_BELOW``), so every answer holds picks."""
    wanted = set(first)
    known = [i for i in catalog.items if i.label in wanted]
    others = [i for i in sorted(catalog.items, key=lambda i: -i.popularity)
              if i.label not in wanted and "," not in i.label]

    def links_plainly(items) -> bool:
        found = linker.link_message(", ".join(i.label for i in items)).linked
        return [(m.item_id, m.ambiguous(ASK_BELOW)) for m in found] == \
            [(i.item_id, False) for i in items]

    pairs, waiting = [], None
    for item in (i for i in known + others if links_plainly([i])):
        if waiting is None:
            waiting = item
        elif links_plainly([waiting, item]):
            pairs.append([waiting.label, item.label])
            waiting = None
        if len(pairs) == count:
            return pairs
    raise ValueError(f"only {len(pairs)} plainly linked pairs in the catalog")


def send_bursts(url: str, pairs: Sequence[Sequence[str]], bursts: Sequence[int],
                recommendations: int = 3) -> dict:
    """For each burst size, that many fresh sessions sending their pair at once; each answer
    checked (``check_apart``). Seconds per burst: p50, p95, min, max; errors and leaks counted."""
    everyone = {t for p in pairs[:max(bursts, default=0)] for t in p}
    report: dict = {"recommendations": recommendations, "bursts": {}}
    for size in bursts:
        with ThreadPoolExecutor(size) as pool:
            results = list(pool.map(lambda p: _session(url, p, recommendations), pairs[:size]))
        errors = [r["error"] for r in results if "error" in r]
        leaks = [problem for r in results if "error" not in r
                 for problem in check_apart(r, everyone, recommendations)]
        seconds = sorted(r["seconds"] for r in results if "error" not in r)
        report["bursts"][size] = {
            "p50_s": round(statistics.median(seconds), 2) if seconds else None,
            "p95_s": round(seconds[int(0.95 * (len(seconds) - 1))], 2) if seconds else None,
            "min_s": round(seconds[0], 2) if seconds else None,
            "max_s": round(seconds[-1], 2) if seconds else None,
            "errors": errors, "leaks": leaks}
    return report


def _session(url: str, titles: Sequence[str], recommendations: int) -> dict:
    from gradio_client import Client

    started = time.monotonic()
    try:
        client = Client(url, verbose=False)
        history, _, status, profile, _kept = client.predict(
            ", ".join(titles), "movies", recommendations, 0.0, [], {}, api_name="/chat")
    except Exception as exc:  # a visitor's failure is counted, not raised
        return {"titles": list(titles), "error": f"{type(exc).__name__}: {exc}",
                "seconds": time.monotonic() - started}
    return {"titles": list(titles), "seconds": time.monotonic() - started, "history": history,
            "status": shown({"content": status}), "profile": profile}


def check_apart(result: dict, everyone: set[str], recommendations: int) -> list[str]:
    """What is wrong with one session's answer: the titles it understood or liked are not
    exactly its own, it holds another number of picks, or a pick's explanation or the profile
    names another session's film. Empty when all is well."""
    own, others = set(result["titles"]), everyone - set(result["titles"])
    header, *rest = result["history"][1:]
    problems = []
    picks = [m for m in rest if re.match(r"\d+\. \*\*", shown(m))]  # not a question
    understood = re.search(r"\*\*I understood:\*\* (.*)", shown(header))
    if understood is None or {t.strip() for t in understood.group(1).split(" · ")} != own:
        problems.append(f"understood {understood and understood.group(1)!r}, not {sorted(own)}")
    liked = re.search(r"\*\*Liked:\*\* (.*)", result["status"])
    if liked is None or {t.strip() for t in liked.group(1).split(" · ")} != own:
        problems.append(f"liked {liked and liked.group(1)!r}, not {sorted(own)}")
    if len(picks) != recommendations:
        problems.append(f"{len(picks)} picks, not {recommendations}")
    for pick in picks:
        title, explanation = re.match(r"\d+\. \*\*(.+?)\*\*: (.*)", shown(pick), re.S).groups()
        problems += titles_named(explanation, others - {title}, own | {title})
    problems += titles_named(result["profile"], others, own)
    return problems


def shown(message: dict) -> str:
    """A chat message's text as the page shows it: Markdown and HTML escapes undone."""
    content = message["content"]
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return html.unescape(re.sub(r"\\(.)", r"\1", str(content)))


def titles_named(text: str, titles: set[str], own: set[str]) -> list[str]:
    """The ``titles`` that ``text`` names (whole words, without their year), after the session's
    ``own`` titles are taken out ("Toy Story 2" names its own film, not another's "Toy
    Story")."""
    for title in sorted(own, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(_name(title))}\b", " ", text)
    return [f"names {title!r}: {text!r}" for title in sorted(titles)
            if re.search(rf"\b{re.escape(_name(title))}\b", text)]


def _name(title: str) -> str:
    """A title without its year: "Toy Story (1995)" -> "Toy Story"."""
    return re.sub(r"\s*\(\d{4}\)$", "", title)


def app_load(catalog: Catalog, bursts: Sequence[int], ready_within_s: float = 600.0) -> dict:
    """Start the app as a visitor meets it (``app.py`` with this environment's settings) on a
    free loopback port, send ``bursts`` of fresh sessions (``send_bursts``), stop it."""
    pairs = plain_pairs(catalog, TitleLinker(catalog), max(bursts))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder, running_process(
            "python app.py", [sys.executable, str(PROJECT_ROOT / "app.py")], url,
            Path(folder) / "app.log", {"RECOMMENDER_HOST": "127.0.0.1",
                                       "RECOMMENDER_PORT": str(port)}, ready_within_s):
        ready_s = time.monotonic() - started
        report = send_bursts(url, pairs, bursts)
    report["app_ready_s"] = round(ready_s, 1)
    return {"app_load": report}
