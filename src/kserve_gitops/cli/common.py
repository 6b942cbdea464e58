"""What every command shares: the repo path, consoles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when something prints, not for --help
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
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


@lru_cache(maxsize=1)
def console_err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)
