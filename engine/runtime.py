"""Load the generator the engine serves with (no TensorFlow on this path)."""

from __future__ import annotations

from pathlib import Path

from engine.generation import Generator
from engine.placeholder import PlaceholderGenerator


def load_generator(model_path: Path | None = None) -> Generator:
    """Load the model at `model_path`, or the shipped default; placeholder until one exists."""
    return PlaceholderGenerator()
