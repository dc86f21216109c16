"""Helpers for tests on the real stack: a few hundred real catalog rows in the shipped layout."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pandas as pd

from recommender.local_servers import free_port
from recommender.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "data"
ARTIFACTS = Path(os.environ.get("RECOMMENDER_TEST_ARTIFACTS", PROJECT_ROOT / "test-artifacts"))
"""Where tests leave what a person may want to look at: screenshots, load-test numbers."""
MOVIE_TITLES = ["Alien (1979)", "Aliens (1986)", "Blade Runner (1982)", "Matrix, The (1999)",
                "Toy Story (1995)", "Toy Story 2 (1999)", "Terminator, The (1984)",
                "Heat (1995)", "Godfather, The (1972)", "28 Days Later (2002)",
                "Shaun of the Dead (2004)", "Children of Men (2006)", "Dark Knight, The (2008)",
                "Iron Man (2008)", "Moon (2009)", "District 9 (2009)", "Zombieland (2009)",
                "Avatar (2009)"]


def write_small_data(folder: Path, movies: int = 300, products: int = 300) -> Path:
    """Copy the first ``movies`` movies (plus a few well-known ones) and ``products`` products,
    with their ratings, tags, links and sequences, into ``folder`` in the shipped layout."""
    ml, small_ml = DATA / "ml-latest-small", folder / "ml-latest-small"
    small_ml.mkdir(parents=True)
    all_movies = pd.read_csv(ml / "movies.csv")
    keep = all_movies[(all_movies.index < movies) | all_movies["title"].isin(MOVIE_TITLES)]
    keep.to_csv(small_ml / "movies.csv", index=False)
    ids = set(keep["movieId"])
    for name in ("tags.csv", "links.csv", "ratings.csv.gz"):
        frame = pd.read_csv(ml / name)
        frame[frame["movieId"].isin(ids)].to_csv(small_ml / name, index=False)
    (folder / "tmdb-5000").mkdir()
    shutil.copy(DATA / "tmdb-5000" / "tmdb_5000_movies.csv.gz", folder / "tmdb-5000")

    beauty, small_beauty = DATA / "amazon-beauty", folder / "amazon-beauty"
    small_beauty.mkdir()
    with gzip.open(beauty / "item_id_to_int.json.gz", "rt") as handle:
        asin_to_int = json.load(handle)
    kept = dict(sorted(asin_to_int.items(), key=lambda kv: kv[1])[:products])
    with gzip.open(small_beauty / "item_id_to_int.json.gz", "wt") as handle:
        json.dump(kept, handle)
    lookup = pd.read_csv(beauty / "products_lookup.csv.gz")
    lookup[lookup["global_product_id"].isin(set(kept.values()))].to_csv(
        small_beauty / "products_lookup.csv.gz", index=False)
    with gzip.open(beauty / "user_sequence.txt.gz", "rt") as src, \
            gzip.open(small_beauty / "user_sequence.txt.gz", "wt") as dst:
        for line in src:
            user, *items = line.split()
            items = [i for i in items if i in kept]
            if items:
                dst.write(" ".join([user, *items]) + "\n")
    return folder


def launch(demo, queue_size: int = 16, turns_at_once: int = 1) -> str:
    """Serve a Gradio app in this process on a free loopback port; returns its URL."""
    from recommender.web.about import CSS, theme

    demo.queue(max_size=queue_size, default_concurrency_limit=turns_at_once)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                share=False, theme=theme(), css=CSS, quiet=True)
    return f"http://127.0.0.1:{port}/"
