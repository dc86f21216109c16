"""What the explanations shown say, measured (issue 35): does a line state anything beyond a
genre, a year or a product type; does it name a distinctive fact (``Catalog.is_distinctive``)
the pick shares with the title it names; how varied are the lines once the titles are taken
out; how often does one opening recur; and is every line shown grounded.

It reads the lines of ``python -m recommender explanations`` (each with the pick's, the named
title's and the history's ids), so a report written by an earlier version of the app is scored
with the same catalog facts as today's (``explanations --score``)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from collections.abc import Mapping, Sequence

from recommender.catalog import Catalog, Item
from recommender.core.facts import shared_facts, shared_features, short_title
from recommender.core.grounding import GroundingChecker
from recommender.vocabulary.fact_kinds import SPECIFIC_KINDS, Fact
from recommender.vocabulary import normalize

__all__ = ["without_titles", "named_facts", "line_quality", "quality", "distinct_2",
           "against_features", "OPENING_WORDS"]

OPENING_WORDS = 3
"""Words of a line, after its titles, that count as its opening ("is also about")."""

_OPENING_START = re.compile(r"^\s*like\s+", re.IGNORECASE)


def distinct_2(sentences: Sequence[str]) -> float:
    """Distinct word pairs over all word pairs of ``sentences`` (0 when there are none)."""
    pairs = [tuple(w[i:i + 2]) for w in (s.lower().split() for s in sentences)
             for i in range(len(w) - 1)]
    return round(len(set(pairs)) / len(pairs), 3) if pairs else 0.0


def without_titles(text: str, pick: Item, anchor: Item | None) -> str:
    """``text`` with its opening ("Like <anchor>, <pick>" or "Like <anchor>, it") and every
    other mention of the two titles taken out, normalised: what the line itself says."""
    names = sorted({n for i in (pick, anchor) if i is not None for n in _names(i)},
                   key=len, reverse=True)
    rest = text
    if anchor is not None and _OPENING_START.match(rest):
        rest = _OPENING_START.sub("", rest, count=1)
        for name in names:
            if rest.startswith(name):
                rest = rest[len(name):].lstrip(" ,")
                break
        rest = re.sub(r"^it\b", "", rest).lstrip(" ,")
    for name in names:
        rest = rest.replace(name, " ")
    return normalize(rest)


def _names(item: Item) -> tuple[str, ...]:
    """The ways a line may write ``item``: its title, label, short title, and the short title
    of before readable product names (a report written by an earlier version)."""
    return (item.title, item.label, short_title(item), short_title(replace(item, short_name="")))


def named_facts(said: str, item: Item) -> list[Fact]:
    """The facts of ``item`` (``Item.stated_facts``) that the normalised ``said`` names."""
    padded = f" {said} "
    return [f for f in item.stated_facts() if any(f" {n} " in padded for n in f.names)]


def line_quality(line: Mapping, catalog: Catalog) -> dict:
    """One shown line: what it says without its titles, whether it names a specific fact of
    the pick (else it says only a genre, year, decade or type), and whether it names a
    distinctive fact the pick shares with the title it names."""
    pick = catalog.get(line["pick_id"])
    anchor = catalog.get(line["anchor_id"]) if line.get("anchor_id") in catalog else None
    said = without_titles(line["shown"], pick, anchor)
    named = named_facts(said, pick)
    shared = {(f.kind, f.key) for f in shared_facts(pick, anchor)} if anchor else set()
    return {"said": said,
            "specific": any(f.kind in SPECIFIC_KINDS for f in named),
            "distinctive_shared": any((f.kind, f.key) in shared and catalog.is_distinctive(f)
                                      for f in named),
            "opening": " ".join(said.split()[:OPENING_WORDS])}


def _after_opening(line: Mapping, catalog: Catalog) -> str:
    """A shown line without its opening ("Like <anchor>, <pick>", with or without "is"): the
    model's words, which are the claims."""
    text = line["shown"]
    picks = _names(catalog.get(line["pick_id"]))
    starts = list(picks)
    if line.get("anchor_id") in catalog:
        starts = [f"Like {a}, {p}" for a in _names(catalog.get(line["anchor_id"]))
                  for p in picks] + starts
    for start in sorted(starts, key=len, reverse=True):
        if text.startswith(start):
            return text[len(start):]
    return text


def quality(lines: Sequence[Mapping], catalog: Catalog, checker: GroundingChecker) -> dict:
    """The issue's measures over ``lines`` (those a turn showed, from the model or from
    catalog facts): the share stating nothing beyond a genre, year or type; the share naming a
    distinctive shared fact; distinct-2 with the titles taken out; the most common opening and
    its share; the share kept from the model, and the model lines shown with a claim the
    checker (today's) finds unsupported."""
    rows = [line_quality(line, catalog) for line in lines]
    if not rows:
        return {"lines": 0}
    openings = Counter(r["opening"] for r in rows)
    top, top_count = openings.most_common(1)[0]
    model = [line for line in lines if not line.get("replaced_because")]
    ungrounded = 0
    for line in model:
        pick = catalog.get(line["pick_id"])
        history = [catalog.get(i) for i in line.get("history_ids", ()) if i in catalog]
        ungrounded += bool(checker.unsupported_claims(_after_opening(line, catalog), pick,
                                                      history))
    n = len(rows)
    return {"lines": n,
            "only_broad": round(sum(not r["specific"] for r in rows) / n, 3),
            "distinctive_shared": round(sum(r["distinctive_shared"] for r in rows) / n, 3),
            "distinct_2_untitled": distinct_2([r["said"] for r in rows]),
            "top_opening": top, "top_opening_share": round(top_count / n, 3),
            "kept_from_model": round(len(model) / n, 3),
            "ungrounded_shown": ungrounded,
            "against_features": against_features(lines, catalog)}


def against_features(lines: Sequence[Mapping], catalog: Catalog) -> dict:
    """How the lines shown differ from what a study's ``features`` condition shows for the same
    picks and histories (``facts.shared_features``): words per line, distinct-2, and the share
    of lines whose specific facts the features list names too (the same truths in other words)
    or that name a specific fact it leaves out."""
    shown, listed, same, more, specific = [], [], 0, 0, 0
    for line in lines:
        pick = catalog.get(line["pick_id"])
        history = [catalog.get(i) for i in line.get("history_ids", ()) if i in catalog]
        anchor = catalog.get(line["anchor_id"]) if line.get("anchor_id") in catalog else None
        features = shared_features(pick, history, catalog=catalog)
        said = without_titles(line["shown"], pick, anchor)
        shown.append(said)
        listed.append(normalize(features))
        mine = {(f.kind, f.key) for f in named_facts(said, pick) if f.kind in SPECIFIC_KINDS}
        theirs = {(f.kind, f.key) for f in named_facts(normalize(features), pick)
                  if f.kind in SPECIFIC_KINDS}
        if mine:
            specific += 1
            same += mine <= theirs
            more += bool(mine - theirs)
    n = len(lines) or 1
    return {"words_per_line": round(sum(len(t.split()) for t in shown) / n, 1),
            "features_words_per_line": round(sum(len(t.split()) for t in listed) / n, 1),
            "distinct_2": distinct_2(shown), "features_distinct_2": distinct_2(listed),
            "lines_naming_a_specific_fact": specific,
            "of_those_all_in_features": same, "of_those_naming_one_features_leave_out": more}
