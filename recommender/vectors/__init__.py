"""Vectors in Chroma: the store (clients and the versioned collection), the catalog's item
index and the sentence embeddings."""
