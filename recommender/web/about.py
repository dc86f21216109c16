"""The page's fixed parts: its texts (the "About this demo" panel, the upload help) and its
theme (system fonts only)."""

from __future__ import annotations

import gradio as gr

from recommender.catalog import domain_labels
from recommender.core.pipeline import Recommender
from recommender.web.upload import MAX_BYTES, MAX_ROWS

__all__ = ["about_markdown", "theme", "CSS", "INTRO", "EXAMPLES", "UPLOAD_HELP"]

INTRO = ("## What did you enjoy?\nName a few titles; a local language model profiles your taste, "
         "then picks and explains recommendations from the catalog. Then refine: “no horror”, "
         "“from the 90s”, “more like the second one”, “why the third one?”, or rate a pick "
         "with the thumbs under it.")
EXAMPLES: dict[str, list[list[str]]] = {
    "movies": [["I loved Alien, Blade Runner and The Matrix"], ["Toy Story, Finding Nemo, Up"],
               ["no horror, nothing before 2000"], ["more like the second one"]],
    "beauty": [["Versace Bright Crystal, CeraVe Moisturizing Cream"],
               ["Seche Vite Dry Fast Top Nail Coat, OPI Nail Lacquer"],
               ["no nail polish"], ["more like the first one"]],
}
"""The "Try" messages under the chat, per catalog (every title is in it; an uploaded catalog
has none)."""
UPLOAD_HELP = (f"A CSV or JSON file with a `title` column; `id`, `description`, `year` and "
               f"`categories` are used when present. Up to {MAX_ROWS:,} rows and "
               f"{MAX_BYTES // 2**20} MB, UTF-8.")

_ABOUT = """\
**How it works** (PALR, arXiv 2305.07622): your titles are matched to the catalog; a small local
language model ({model}) writes a profile of your taste; Chroma retrieves {candidates} candidates
by embedding: items whose description is close to what you named (all-MiniLM-L6-v2), fused with
what people who liked the same went on to like (a SASRec model trained on the catalog's
interactions; {retrieval}). The same model orders {count} of them, constrained so it cannot name
anything outside the list, and explains each pick. An explanation that claims
something the catalog does not hold is replaced by one built from catalog facts, and marked so.
Everything runs on this machine; nothing is sent anywhere.

**Data.** Movies: MovieLens ml-latest-small (F. M. Harper and J. A. Konstan, ACM TiiS 2015),
with overviews, taglines, plot keywords and studios from TMDB 5000 (themoviedb.org). *This
product uses the TMDB API but is not endorsed or certified by TMDB.* Products: Amazon Beauty
5-core (McAuley et al., SIGIR 2015; He and McAuley, WWW 2016), brands matched against Amazon's
brand names as P5 (Geng et al., RecSys 2022) lists them.
Research and non-commercial use.
"""




def about_markdown(recommender: Recommender) -> str:
    """How it works and where the data comes from, for the served recommender."""
    settings = recommender.settings
    return _ABOUT.format(model=recommender.model.name, count=settings.recommendations,
                         candidates=settings.candidates, retrieval=_retrieval_kinds(recommender))


def _retrieval_kinds(recommender: Recommender) -> str:
    labels = domain_labels(list(recommender.domains))
    return "; ".join(f"{labels[name].lower()}: " + ("content and collaborative"
                                                     if domain.retriever.name == "hybrid"
                                                     else "content only, no model trained")
                     for name, domain in recommender.domains.items())


CSS = """
/* Gradio's hover rule comes after its checked rule, so a checked radio under the pointer turned
   white on white: the chosen catalog lost its dot. */
input[type="radio"]:checked:hover:not([disabled]) {
  background-color: var(--checkbox-background-color-selected);
  border-color: var(--checkbox-border-color-selected);
}
"""
"""The page's own style rules, on top of the theme."""


def theme() -> gr.themes.Base:
    """System fonts only: the default theme would fetch Google Fonts, and nothing may be fetched."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])
