"""Named errors. Each message tells the person what to do next."""

from __future__ import annotations

__all__ = [
    "RecommenderError",
    "SettingsError",
    "ModelNotFoundError",
    "ModelLoadError",
    "CatalogError",
    "UnknownDomainError",
    "InputError",
    "StudyConfigError",
    "StudyLogError",
    "IndexUnavailableError",
    "ModelServerError",
]


class RecommenderError(Exception):
    """Base class: every error the user can cause or fix."""


class SettingsError(RecommenderError):
    """An environment setting has a value we cannot use."""


class ModelNotFoundError(RecommenderError):
    """No GGUF model file where the settings point."""


class ModelLoadError(RecommenderError):
    """The GGUF file exists but llama.cpp could not load it."""


class CatalogError(RecommenderError):
    """A catalog's files are missing or malformed."""


class UnknownDomainError(RecommenderError):
    """The requested domain is not one of the catalogs we serve."""

    def __init__(self, domain: str, known: list[str]) -> None:
        self.domain = domain
        self.known = known
        super().__init__(
            f"Unknown domain {domain!r}. Choose one of: {', '.join(known)}."
        )


class InputError(RecommenderError):
    """The user's message cannot be used as it is (empty, too long, ...)."""


class StudyConfigError(RecommenderError):
    """A study file is missing, unreadable or holds a setting we cannot use."""


class StudyLogError(RecommenderError):
    """A study event could not be written (disk full, permissions); nothing was acknowledged."""


class IndexUnavailableError(RecommenderError):
    """The vector store named by the settings cannot be reached or opened."""


class ModelServerError(RecommenderError):
    """The LLM server named by the settings cannot be reached or answered with an error."""
