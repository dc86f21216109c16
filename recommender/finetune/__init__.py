"""PALR's fine-tuning of the local model: LoRA adapters trained on the recommendation tasks
from training interactions only, converted to GGUF and applied by llama.cpp at run time."""
