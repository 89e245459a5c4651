"""What a generator is asked for, and the interface every generator offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from engine.pattern import Pattern


@dataclass(frozen=True)
class GenerationSpec:
    """One pattern to write.

    Attributes:
        steps: new 16th steps to write (after the primer).
        style: a style the generator knows, or "any".
        temperature: sampling temperature (>0).
        seed: seed of the sampler; equal specs give equal patterns.
        fills: a fill in the last bar of every `fills` bars (0 for none).
        primer: a pattern to continue; the result starts with it.
        guide: a pattern to vary; the result keeps most of its steps.
    """

    steps: int
    style: str
    temperature: float
    seed: int
    fills: int = 0
    primer: Pattern | None = None
    guide: Pattern | None = None


class Generator(Protocol):
    """Writes patterns. Loaded once and shared; `generate` must be thread-safe."""

    name: str
    styles: tuple[str, ...]

    def generate(self, specs: list[GenerationSpec]) -> list[Pattern]:
        """Write one pattern per spec (batched where the generator can)."""
        ...
