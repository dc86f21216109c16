"""The chat model: one interface (chat), its llama.cpp and server backends, the prompt
conversation over a guarded model (prompting), the prompt templates and where the packaged
models live."""
