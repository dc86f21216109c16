"""What the catalog says about an item, as explanations use it: short titles, fact lines, the
history item a pick shares most with (its anchor), and the plain explanation built from catalog
facts alone when the model's one cannot be used."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from recommender.catalog import Catalog, Item
from recommender.vocabulary.fact_kinds import (
    BROAD_KINDS,
    KIND_NOUNS,
    SET_APART_KINDS,
    SPECIFIC_KINDS,
    Fact,
    FactKind,
)
from recommender.core.fact_phrases import own_clause, prompt_label, shared_clause
from recommender.vocabulary import PACKAGING_WORDS, STOPWORDS, normalize

__all__ = [
    "Anchor",
    "choose_anchor",
    "short_title",
    "facts_line",
    "history_line",
    "finish_sentence",
    "finished_reply",
    "template_explanation",
    "detailed_template",
    "shared_features",
    "shared_with",
    "shared_facts",
    "ranked",
    "worth_saying",
    "own_distinctive",
    "unsubsumed",
    "line_facts",
]

_SHORT_TITLE_WORDS = 8
_TITLE_BREAKS = re.compile(r",| - | \(|;")


@dataclass(frozen=True)
class Anchor:
    """The history item an explanation compares with, and what the two share."""

    item: Item
    genres: tuple[str, ...]
    tags: tuple[str, ...]
    words: tuple[str, ...]  # shared significant title words (products)
    facts: tuple[Fact, ...] = ()
    """Every fact the two share (no sizes), most worth saying first (``ranked``)."""

    def worth_saying(self, catalog: Catalog, most: int = 3) -> tuple[Fact, ...]:
        """The shared facts an explanation should state (``worth_saying``)."""
        return worth_saying(self.facts, catalog, most)


def short_title(item: Item) -> str:
    """A title short enough to repeat in a sentence: a product's readable name (brand and
    product, ``product_facts``) when the catalog made one; else long titles are cut at their
    first comma, dash or bracket, or else after eight words."""
    if item.short_name:
        return item.short_name
    words = item.title.split()
    if len(words) <= _SHORT_TITLE_WORDS:
        return item.title
    head = " ".join(words[:_SHORT_TITLE_WORDS])
    cut = _TITLE_BREAKS.search(head)
    if cut and len(head[: cut.start()].split()) >= 3:
        head = head[: cut.start()]
    kept = head.rstrip(",;:- ").split()
    # no dangling "for", and no half of a size such as "1.0" (from "1.0 oz")
    while len(kept) > 1 and (kept[-1].lower() in STOPWORDS or any(c.isdigit() for c in kept[-1])):
        kept.pop()
    return " ".join(kept)


def _title_words(item: Item) -> set[str]:
    """Words of the title worth naming as shared: not sizes or packaging, and one of a
    singular and its plural ("bar", not also "bars")."""
    words = {w for w in normalize(item.title).split()
             if w not in STOPWORDS and w not in PACKAGING_WORDS and not w.isdigit()
             and len(w) > 2}
    return {w for w in words if not (w.endswith("s") and w[:-1] in words)}


def shared_facts(item: Item, other: Item) -> tuple[Fact, ...]:
    """The facts ``item`` states that ``other`` states too (by kind and key), sizes aside, in
    ``item``'s order."""
    theirs = {(f.kind, f.key) for f in other.stated_facts()}
    return tuple(f for f in item.stated_facts()
                 if f.kind not in SET_APART_KINDS and (f.kind, f.key) in theirs)


def ranked(facts: Sequence[Fact], catalog: Catalog | None) -> tuple[Fact, ...]:
    """``facts`` most worth saying first: distinctive ones (``Catalog.is_distinctive``) by how
    few items carry them, then other specific ones, then genres, types, languages, years."""
    if catalog is None:
        return tuple(sorted(facts, key=lambda f: (f.kind not in SPECIFIC_KINDS,
                                                  f.kind in BROAD_KINDS)))

    def order(fact: Fact) -> tuple[int, float]:
        tier = 0 if catalog.is_distinctive(fact) else 1 if fact.kind in SPECIFIC_KINDS else 2
        return tier, -catalog.rarity(fact)

    return tuple(sorted(facts, key=order))


def worth_saying(facts: Sequence[Fact], catalog: Catalog, most: int = 3) -> tuple[Fact, ...]:
    """Of ranked shared ``facts``, those an explanation should state: up to ``most``
    distinctive ones; only when there is none, the broad ones (genres first, then the decade
    or type), as a genre or a year is said only when nothing more specific is shared."""
    distinctive = unsubsumed([f for f in facts if catalog.is_distinctive(f)], catalog)
    if distinctive:
        return tuple(distinctive[:most])
    specific = [f for f in facts if f.kind in SPECIFIC_KINDS]
    broad = sorted((f for f in facts if f.kind in BROAD_KINDS),
                   key=lambda f: (f.kind != FactKind.GENRE, f.kind != FactKind.TYPE,
                                  f.kind == FactKind.YEAR))
    return tuple([*specific[:1], *broad][:most])


def unsubsumed(facts: Sequence[Fact], catalog: Catalog) -> list[Fact]:
    """``facts`` less each one whose items all state another of ``facts`` of its kind that more
    items state: Mitsubishi co-produced only Studio Ghibli films, so "Studio Ghibli" says it."""
    return [f for f in facts
            if not any(o.kind == f.kind and o != f and
                       catalog.items_with(o) > catalog.items_with(f) and
                       catalog.items_of(f) <= catalog.items_of(o) for o in facts)]


_OWN_KINDS = (FactKind.TAG, FactKind.KEYWORD, FactKind.LINE, FactKind.ATTRIBUTE,
              FactKind.STUDIO, FactKind.BRAND)
"""The kinds of a pick's own fact worth saying, the people's words (tags) first."""


def own_distinctive(item: Item, catalog: Catalog, exclude: Sequence[Fact] = ()) -> Fact | None:
    """A fact of the pick's own to say when it shares nothing distinctive: a distinctive tag,
    keyword, line, attribute, studio or brand not in ``exclude``, of the first kind it has,
    the one most items carry (a known theme rather than trivia a single film has)."""
    skip = {f.key for f in exclude}  # "mafia" the tag when "mafia" the keyword is shared
    own = [f for f in item.stated_facts()
           if f.kind in _OWN_KINDS and catalog.is_distinctive(f) and f.key not in skip
           and catalog.items_with(f) >= 2]
    if not own:
        return None
    return min(own, key=lambda f: (_OWN_KINDS.index(f.kind), -catalog.items_with(f)))


def shared_with(item: Item, other: Item, catalog: Catalog | None = None) -> Anchor:
    """What ``item`` has in common with ``other`` according to the catalog; the shared facts
    are ranked by how distinctive they are in ``catalog`` (by kind alone without one)."""
    return Anchor(
        item=other,
        genres=tuple(g for g in item.genres if g in other.genres),
        tags=tuple(t for t in item.tags if t in other.tags),
        words=tuple(w for w in dict.fromkeys(normalize(item.title).split())
                    if w in _title_words(item) & _title_words(other)),
        facts=ranked(shared_facts(item, other), catalog),
    )


_SCORED_FACTS = 3


def choose_anchor(item: Item, history: Sequence[Item], catalog: Catalog | None = None) -> Anchor:
    """The history item whose shared facts say the most (first on ties): the sum of the
    rarities of its three facts most worth saying, so one studio or keyword few films carry
    outranks three genres thousands do; without a catalog, the count of shared tags (twice),
    genres and name words. Never one with the pick's own short title while there is another:
    "Like The Patriot, The Patriot is a war film" reads as a slip."""
    mine = short_title(item)
    options = [shared_with(item, h, catalog) for h in history]
    if catalog is None:
        return max(options, key=lambda a: (short_title(a.item) != mine,
                                           2 * len(a.tags) + len(a.genres) + len(a.words)))

    def score(anchor: Anchor) -> tuple[bool, float, int]:
        said = sum(catalog.rarity(f) for f in anchor.facts[:_SCORED_FACTS])
        return short_title(anchor.item) != mine, said, len(anchor.words)

    return max(options, key=score)


def history_line(item: Item) -> str:
    """One line describing a history item in a prompt (no year: a token per digit)."""
    facts = [", ".join(item.genres)] if item.genres else []
    if item.tags:
        facts.append("tags: " + ", ".join(item.tags[:3]))
    return f"- {short_title(item)}" + (f": {'; '.join(facts)}" if facts else "")


def facts_line(item: Item, anchor: Anchor | None = None, catalog: Catalog | None = None) -> str:
    """The facts an explanation may use, in few tokens: ``Aliens (1986): Action, Horror; tags
    aliens``; with the ``anchor`` it is compared with and the ``catalog``, what the two share
    that is most worth saying (``worth_saying``), and a distinctive fact of the pick's own
    when they share nothing distinctive: ``Finding Nemo (2003), with Monsters, Inc.: Pixar
    Animation Studios (studio), father son relationship (theme)``.

    With the year: without it the tuned model wrote years from memory ("from 1994"), and the
    checker replaced them."""
    year = f" ({item.year})" if item.year and str(item.year) not in item.title else ""
    if anchor is None or catalog is None:
        parts = []
        if item.genres:
            parts.append(", ".join(item.genres))
        if item.tags:
            parts.append("tags " + ", ".join(item.tags[:2]))
        return short_title(item) + year + (": " + "; ".join(parts) if parts else "")
    said, own = line_facts(item, anchor, catalog)
    line = short_title(item) + year
    if said:
        line += f", with {short_title(anchor.item)}: " + ", ".join(map(prompt_label, said))
    if own is not None:
        line += f"; its own: {prompt_label(own)}"
    elif not said and item.genres:
        line += ": " + ", ".join(item.genres)
    return line


def line_facts(item: Item, anchor: Anchor, catalog: Catalog) -> tuple[tuple[Fact, ...],
                                                                      Fact | None]:
    """What a pick's explanation is given to say: the shared facts most worth saying
    (``worth_saying``), and the pick's own most distinctive fact when none of those is
    distinctive (``None`` otherwise)."""
    said = anchor.worth_saying(catalog, _PROMPT_FACTS)
    if any(catalog.is_distinctive(f) for f in said):
        return said, None
    return said, own_distinctive(item, catalog, said)


_PROMPT_FACTS = 3


def finished_reply(start: str, generated: str) -> tuple[str, str]:
    """The sentence our opening ``start`` and the model's ``generated`` words make ("" when the
    model wrote nothing), and the model's words in it: only those are claims to check."""
    text = finish_sentence(start + generated, opening=start) if generated.strip() else ""
    return text, text[len(start):] if text.startswith(start) else text


def finish_sentence(text: str, opening: str = "") -> str:
    """Tidy a generated sentence: trim, end with a full stop even when cut at the token limit
    (at its last comma past the middle and past ``opening``, the fixed start of ``text``: a
    line stopped before ", new to your list" is not cut inside "Simple Foaming Cleanser, 5
    Ounce")."""
    after = len(" ".join(opening.split()))
    text = " ".join(text.split())
    if not text:
        return text
    if text[-1] not in ".!?":
        cut = max(text.rfind(","), text.rfind(";"))
        if cut > max(len(text) // 2, after):
            text = text[:cut]
        text = text.rstrip(" ,;:-") + "."
    return text


def template_explanation(item: Item, anchor: Anchor, catalog: Catalog | None = None) -> str:
    """An explanation from catalog facts only, used when the model's cannot be: with the
    ``catalog``, the two shared facts most worth saying (``worth_saying``) in plain clauses
    ("Like Monsters, Inc., it comes from Pixar Animation Studios too and is also about a
    father son relationship."), and, when none of them is distinctive, the pick's own most
    distinctive fact after a contrast ("Like The Godfather, it is a drama too; this one with the
    theme “mental illness”.") — the fact its prompt gave the model (``line_facts``)."""
    sentence = _shared_sentence(item, anchor, catalog)
    if catalog is None:
        return sentence + "."
    own = line_facts(item, anchor, catalog)[1]
    clause = own_clause(own) if own is not None else None
    return f"{sentence}; {clause}." if clause else sentence + "."


def _shared_sentence(item: Item, anchor: Anchor, catalog: Catalog | None) -> str:
    """What ``template_explanation`` says the pick shares with its anchor, without the stop."""
    name = short_title(anchor.item)
    if catalog is not None and anchor.facts:
        clauses = _clauses(anchor.worth_saying(catalog, 3), anchor)
        if clauses:
            return f"Like {name}, it {' and '.join(clauses[:2])}"
    if anchor.genres or anchor.tags:
        pieces = []
        if anchor.genres:
            pieces.append("is " + _join(anchor.genres))
        if anchor.tags:
            pieces.append("is tagged " + _join([f"“{t}”" for t in anchor.tags]))
        return f"Like {name}, it {' and '.join(pieces)}"
    if anchor.words:
        quoted = [f"“{w}”" for w in anchor.words[:4]]
        return f"Like {name}, its title mentions {_join(quoted)}"
    if item.genres:
        year = f" from {item.year}" if item.year else ""
        return f"A {_join(item.genres)} title{year}; its catalog description is close to {name}"
    return f"Its catalog description is close to {name}"


def _clauses(facts: Sequence[Fact], anchor: Anchor) -> list[str]:
    """A shared clause per kind of fact (the genres said together)."""
    out: list[str] = []
    kinds: set[FactKind] = set()
    if any(f.kind == FactKind.YEAR for f in facts):
        kinds.add(FactKind.DECADE)  # "from 1995 too", not also "from the 1990s too"
    for fact in facts:
        if fact.kind in kinds:
            continue
        kinds.add(fact.kind)
        clause = shared_clause(fact, genres=anchor.genres[:2])
        if clause:
            out.append(clause)
    return out


def _join(words: Sequence[str]) -> str:
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def detailed_template(item: Item, anchor: Anchor, history: Sequence[Item],
                      catalog: Catalog | None = None) -> str:
    """A longer explanation from catalog facts only ("why the third one?"): what the pick
    shares with the title it is compared with; with the ``catalog``, what it shares with the
    other titles liked that is worth saying, and its own most distinctive fact and tagline."""
    sentences = [template_explanation(item, anchor, catalog)]
    if catalog is not None:
        sentences += _more_shared(item, anchor, history, catalog)
        own = own_distinctive(item, catalog, anchor.facts)
        clause = own_clause(own) if own is not None else None
        if clause and clause not in sentences[0]:  # the first sentence may have said it
            sentences.append(f"Of its own, it is {clause.removeprefix('this one ')}."
                             if clause.startswith("this one ") else f"It is {clause}.")
        if item.tagline:
            sentences.append(f"Its tagline: “{item.tagline.rstrip()}”")
        return " ".join(sentences)
    facts = []
    if item.genres:
        facts.append(_join(item.genres))
    if item.year:
        facts.append(f"from {item.year}")
    if facts and (anchor.genres or anchor.tags or anchor.words):  # else the first said it
        sentences.append(f"{short_title(item)} is {' '.join(facts)}.")
    if item.tags:
        sentences.append("People tagged it " + _join([f"“{t}”" for t in item.tags[:3]]) + ".")
    sharing = [short_title(h) for h in history
               if h.item_id != anchor.item.item_id and set(h.genres) & set(item.genres)]
    if sharing:
        sentences.append(f"{len(sharing) + 1} of the titles you liked share a genre with it, "
                         f"{short_title(anchor.item)} and {_join(sharing[:3])} among them."
                         if anchor.genres else
                         f"Titles you liked that share a genre with it: {_join(sharing[:3])}.")
    return " ".join(sentences)


def _more_shared(item: Item, anchor: Anchor, history: Sequence[Item],
                 catalog: Catalog) -> list[str]:
    """A sentence for each other liked title the pick shares a distinctive fact with."""
    out = []
    for other in history:
        if other.item_id == anchor.item.item_id or len(out) >= 2:
            continue
        said = [f for f in worth_saying(ranked(shared_facts(item, other), catalog), catalog, 1)
                if catalog.is_distinctive(f)]
        clause = shared_clause(said[0]) if said else None
        if clause:
            out.append(f"Like {short_title(other)}, it {clause}.")
    return out


def shared_features(item: Item, history: Sequence[Item], most: int = 3,
                    catalog: Catalog | None = None) -> str:
    """What ``item`` shares with the history according to the catalog, fact by fact, each with
    up to ``most`` history titles that have it: the ``features`` explanation of a user study.
    With the ``catalog``, the same facts the explanation step gives the model, most worth
    saying first (``worth_saying``: studios, themes, tags, brands, lines, attributes; a genre
    or type only when nothing more specific is shared). No model is involved, so every word
    of it is a catalog fact."""
    if catalog is None:
        return _shared_features_by_field(item, history, most)
    having: dict[tuple, list[str]] = {}
    facts: dict[tuple, Fact] = {}
    for h in history:
        for fact in shared_facts(item, h):
            key = (fact.kind, fact.key)
            facts.setdefault(key, fact)
            having.setdefault(key, []).append(short_title(h))
    said = worth_saying(ranked(list(facts.values()), catalog), catalog, 4)
    if not said:
        return "It shares no studio, theme, tag, genre, brand or type with the titles you named."
    parts = [f"{_feature_name(f)} (like {_join(having[(f.kind, f.key)][:most])})" for f in said]
    return "Shares with what you liked: " + "; ".join(parts) + "."


def _feature_name(fact: Fact) -> str:
    noun = KIND_NOUNS[fact.kind]
    if fact.kind in (FactKind.GENRE, FactKind.TYPE, FactKind.DECADE, FactKind.YEAR):
        return fact.value
    if fact.kind in (FactKind.KEYWORD, FactKind.TAG, FactKind.ATTRIBUTE):
        return f"{noun} “{fact.value}”"
    return f"{noun} {fact.value}"


def _shared_features_by_field(item: Item, history: Sequence[Item], most: int) -> str:
    shared = [shared_with(item, h) for h in history]

    def having(kind: str, value: str) -> list[str]:
        return [short_title(a.item) for a in shared if value in getattr(a, kind)]

    parts = [f"{genre} (like {_join(having('genres', genre)[:most])})"
             for genre in item.genres if having("genres", genre)]
    parts += [f"tagged “{tag}” (like {_join(having('tags', tag)[:most])})"
              for tag in item.tags if having("tags", tag)]
    if not parts:  # products: no genres or tags, but their names share words
        words_by_titles: dict[tuple[str, ...], list[str]] = {}
        for word in dict.fromkeys(normalize(item.title).split()):
            titles = tuple(having("words", word)[:most])
            if titles:
                words_by_titles.setdefault(titles, []).append(f"“{word}”")
        parts = [f"{_join(words)} in its name (like {_join(titles)})"
                 for titles, words in words_by_titles.items()]
    if not parts:
        return "It shares no genre, tag or name word with the titles you named."
    return "Shares with what you liked: " + "; ".join(parts[:4]) + "."
