"""Command line: ``python -m recommender recommend|index|train|llm-server|evaluate|benchmark|
study`` (options in ``options``, what each does in ``commands``)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence

from recommender.cli import commands
from recommender.cli.options import parser as _parser
from recommender.errors import RecommenderError
from recommender.settings import Settings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    raw = list(sys.argv[1:] if argv is None else argv)
    args, passed_on = parser.parse_known_args(raw)
    if getattr(args, "run", None) is commands.llm_server:  # the rest is llama_cpp.server's, in order
        args.server_args = raw[raw.index("llm-server") + 1:]
    elif passed_on:
        parser.error(f"unrecognized arguments: {' '.join(passed_on)}")
    logging.basicConfig(level=logging.WARNING if not args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        settings = Settings.from_env()
        return args.run(args, settings)
    except RecommenderError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        print(f"error: {exc}", file=sys.stderr)
        return 2
