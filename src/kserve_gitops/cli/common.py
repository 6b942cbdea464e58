"""What every command shares: the repo path, consoles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported when something prints, not for --help
    from rich.console import Console

    from ..operate.lifecycle import Outcome


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


def show_outcome(outcome: "Outcome", dry_run: bool) -> None:
    """What canary, promote, rollback and model add print; exit 1 when their result does not validate."""
    import sys

    from ..errors import EXIT_FINDINGS
    from ..report.text import print_report

    out = console()
    if outcome.diff:
        out.print(outcome.diff, markup=False, end="")
    for note in outcome.notes:
        out.print(note, markup=False)
    if outcome.report is not None and not outcome.valid:
        print_report(outcome.report, out)
        console_err().print(f"{outcome.summary}: the result does not validate; nothing was written", markup=False)
        sys.exit(EXIT_FINDINGS)
    if not outcome.edits:
        return
    if dry_run:
        out.print(f"{outcome.summary} (dry run: nothing written)", markup=False)
        return
    generated = outcome.generated
    regenerated = f"; regenerated {len(generated.files)} file(s) in charts/ and overlays/" if generated else ""
    out.print(f"{outcome.summary}{regenerated}", markup=False)
