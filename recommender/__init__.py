"""A conversational recommender after PALR: a local LLM profiles the user, Chroma retrieves
candidates, and the same LLM picks from them and explains each pick."""

__version__ = "0.1.0"
