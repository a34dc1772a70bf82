"""Weights in and out: torch checkpoints (.pt/.pth, read without torch), .safetensors and .npz."""
from .torch_format import CheckpointError, read_checkpoint, write_checkpoint
