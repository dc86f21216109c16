"""The collaborative model: SASRec in PyTorch, the interaction data it learns from, its
training and fusion weights, and its item vectors in Chroma as a retriever."""
