"""The loop definitions shipped in the built-in pack ``rules/core/loops``."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from zhengai.errors import did_you_mean
from zhengai.model.loop import LoopDefinition, load_loop
from zhengai.spiral.errors import UnknownLoop

__all__ = ["loops_dir", "shipped_loop", "shipped_loops"]


def loops_dir() -> Path:
    """Where the shipped loops are: inside the wheel, or the source tree's ``rules/``."""
    packaged = Path(str(resources.files("zhengai"))) / "rules" / "core" / "loops"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules" / "core" / "loops"


@lru_cache(maxsize=1)
def shipped_loops() -> dict[str, LoopDefinition]:
    """Every shipped loop definition by id, validated."""
    loops = (load_loop(p) for p in sorted(loops_dir().glob("*.yaml")))
    return {d.id: d for d in loops}


def shipped_loop(loop_id: str) -> LoopDefinition:
    """One shipped loop: ``five_step`` (default), ``eight_ten_step``, ``radar``, ``four_step``."""
    loops = shipped_loops()
    if loop_id not in loops:
        raise UnknownLoop(f"no shipped loop {loop_id!r}", hint=did_you_mean(loop_id, list(loops)))
    return loops[loop_id]
