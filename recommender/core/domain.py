"""Everything one catalog needs at query time, built once (``wire_domain``) for a shipped catalog
at start-up (``loading``) and for an uploaded one (``web.upload``) alike."""

from __future__ import annotations

from dataclasses import dataclass

from recommender.catalog import Catalog
from recommender.core.grounding import GroundingChecker
from recommender.core.linking import TitleLinker
from recommender.core.retrieval import Retriever
from recommender.vectors.index import ItemIndex

__all__ = ["Domain", "CatalogParts", "wire_domain"]


@dataclass
class Domain:
    """One served catalog: its items, how words link to them, their index, the grounding
    check, and how candidates are retrieved."""

    catalog: Catalog
    linker: TitleLinker
    index: ItemIndex
    checker: GroundingChecker
    retriever: Retriever
    """Content retrieval, or hybrid (collaborative + content) when a trained model exists."""
    llm_weight: float = 1.0
    """Share of the LLM's order in the final ranking (the rest is retrieval order)."""



@dataclass(frozen=True)
class CatalogParts:
    """A catalog with what reads words against it: the title linker and the grounding check
    (which reads titles through the linker). Built once per catalog and data (``loading``
    keeps them between starts)."""

    catalog: Catalog
    linker: TitleLinker
    checker: GroundingChecker

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogParts:
        linker = TitleLinker(catalog)
        return cls(catalog, linker, GroundingChecker(catalog, linker))


def wire_domain(catalog: Catalog | CatalogParts, index: ItemIndex, retriever: Retriever,
                llm_weight: float) -> Domain:
    """A catalog wired for turns: its title linker, and the grounding check that reads titles
    through it (``CatalogParts``, built here from a bare catalog), beside its index and
    retriever."""
    parts = catalog if isinstance(catalog, CatalogParts) else CatalogParts.of(catalog)
    return Domain(parts.catalog, parts.linker, index, parts.checker, retriever, llm_weight)
