"""Linking: find the catalog items a person's words name, and say which words named nothing
(``linker``)."""

from recommender.core.linking.linker import TitleLinker
from recommender.core.linking.mentions import LinkResult, Mention, check_message

__all__ = ["Mention", "LinkResult", "TitleLinker", "check_message"]
