"""Where memory goes turn after turn, in process: the soak's conversations
(``recommender/evaluation/soak.py``) sent straight to the recommender, the resident memory read
after each turn, and with ``--trace`` the Python allocations that grew, by where they were made.

    python scripts/memory_probe.py --warm 16 --turns 96            # the memory curve
    python scripts/memory_probe.py --warm 16 --turns 64 --trace    # and what grew (slow)

Without Gradio in the way this tells a leak in the turn from one in the web layer; ``benchmark
--soak`` measures the app as served. Output: docs/results/issue37/in-process-*.txt.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from recommender.evaluation.app_load import plain_pairs, shown  # noqa: E402
from recommender.evaluation.soak import resident_mib, run_soak  # noqa: E402
from recommender.loading import load_recommender  # noqa: E402
from recommender.settings import Settings  # noqa: E402
from recommender.web.session import ChatSession, recommend_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm", type=int, default=16, help="turns before measuring")
    parser.add_argument("--turns", type=int, default=96, help="turns measured")
    parser.add_argument("--visitors", type=int, default=2)
    parser.add_argument("--trace", action="store_true", help="compare Python's allocations")
    args = parser.parse_args()
    recommender = load_recommender(Settings.from_env(), progress=False)
    movies = recommender.domain("movies")
    pairs = plain_pairs(movies.catalog, movies.linker, 60)

    def send(endpoint: str, message: str, state: object) -> dict:
        if endpoint == "recommend":
            return recommend_json(recommender, message, "movies", state)
        session, history = ChatSession(recommender), []
        for history in session.send(message, "movies", 3, 0.0, []):
            pass
        status, profile = session.side_panel()
        return {"history": history, "status": shown({"content": status}), "profile": profile}

    pid = os.getpid()
    warm = run_soak(args.warm, args.visitors, pairs[:30], lambda v: send,
                    lambda: resident_mib(pid))
    gc.collect()
    print("after warm-up", resident_mib(pid), "MiB;", warm.report()["errors"], "errors")
    if args.trace:
        tracemalloc.start(25)
    before = tracemalloc.take_snapshot() if args.trace else None
    soaked = run_soak(args.turns, args.visitors, pairs[30:], lambda v: send,
                      lambda: resident_mib(pid))
    gc.collect()
    report = soaked.report()
    print("after", resident_mib(pid), "MiB;", report["memory"], report["errors"], "errors")
    if before is not None:
        for stat in tracemalloc.take_snapshot().compare_to(before, "traceback")[:12]:
            print(stat.size_diff // 1024, "KiB in", stat.count_diff, "more blocks")
            for line in stat.traceback.format()[-8:]:
                print("   ", line)


if __name__ == "__main__":
    main()
