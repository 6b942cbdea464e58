"""How a file's path is shown in findings and errors: relative to the working directory when the file is
under it (what a user can paste into an editor), else as given."""

from __future__ import annotations

from pathlib import Path


def display_path(path: Path | str) -> str:
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
