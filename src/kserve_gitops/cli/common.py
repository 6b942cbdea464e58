"""What every command shares: the repo path, consoles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rich.console import Console


@dataclass
class State:
    repo: str = "."
    debug: bool = False

    @property
    def root(self) -> Path:
        return Path(self.repo)


@lru_cache(maxsize=1)
def console() -> Console:
    return Console(highlight=False, soft_wrap=True)


@lru_cache(maxsize=1)
def console_err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)
