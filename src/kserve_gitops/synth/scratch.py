"""A scratch tree: a temporary folder that holds a repo as a change would leave it, where lifecycle and
diff synthesize and render without touching the checkout. Gone when the ``with`` block ends, whatever
happens in it."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Sequence


@contextmanager
def scratch_tree(
    *,
    purpose: str,
    copy_from: Path | None = None,
    names: Sequence[str] = (),
    files: Mapping[str, bytes | str | None] | None = None,
) -> Iterator[Path]:
    """``names`` (files or folders, symlinks kept as links) copied from ``copy_from``, then ``files``
    (repo-relative path → content; None deletes) written over them."""
    with tempfile.TemporaryDirectory(prefix=f"kserve-gitops-{purpose}-") as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        for name in names if copy_from is not None else ():
            source = copy_from / name
            if source.is_dir():
                shutil.copytree(source, root / name, symlinks=True)
            elif source.is_file():
                shutil.copy2(source, root / name)
        for rel, content in (files or {}).items():
            target = root / rel
            if content is None:
                target.unlink(missing_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                target.write_text(content, encoding="utf-8")
            else:
                target.write_bytes(content)
        yield root
