"""Where kserve-gitops keeps what it can recompute: rendered models, converted CRD schemas, policy analyses.

Every cache is keyed by content, written atomically and only ever an optimisation: a missing or unreadable
entry is computed again, never trusted to decide a verdict.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


NO_CACHE_ENV = "KSERVE_GITOPS_NO_CACHE"  # set: every cache is bypassed (nothing read, nothing written)


def cache_dir() -> Path:
    """``$KSERVE_GITOPS_CACHE``, else ``$XDG_CACHE_HOME/kserve-gitops``, else ``~/.cache/kserve-gitops``."""
    explicit = os.environ.get("KSERVE_GITOPS_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "kserve-gitops"


class JsonStore:
    """One named cache of JSON entries, ``<cache>/<name>/v<version>/<key>.json``.

    Keys are content (hashes of what the entry was computed from, paths relative to the repo), so a
    temporary copy of a repo hits the same entries. Writes are atomic and clean up after themselves; every
    put prunes the store to its ``keep`` newest entries and drops other versions' folders. A read that
    fails for any reason is a miss: a cache only ever saves time.
    """

    def __init__(self, name: str, version: int, *, keep: int = 256, root: Path | None = None) -> None:
        self.name = name
        self.version = version
        self.keep = keep
        self._root = root

    @property
    def folder(self) -> Path:
        return (self._root or cache_dir()) / self.name / f"v{self.version}"

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Any | None:
        try:
            with open(self.path(key), "rb") as handle:
                return json.loads(handle.read())
        except (OSError, ValueError):
            return None

    def put(self, key: str, data: Any) -> Path | None:
        """Write ``data`` under ``key``; the entry's path, or None when it could not be written."""
        target = self._write(key, data)
        self.prune()
        return target

    def put_many(self, entries: dict[str, Any]) -> None:
        """Write every entry, then prune once (a run that fills hundreds of entries scans the folder once)."""
        for key, data in entries.items():
            self._write(key, data)
        if entries:
            self.prune()

    def _write(self, key: str, data: Any) -> Path | None:
        target = self.path(key)
        tmp = None
        try:
            text = json.dumps(data, separators=(",", ":"))  # dumps: the C encoder; dump is pure Python
            target.parent.mkdir(parents=True, exist_ok=True)
            import tempfile  # here, not at import: most runs only read their caches

            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, target)  # a concurrent reader sees no entry or the whole entry
            tmp = None
        except (OSError, TypeError, ValueError):
            return None  # a read-only home must not stop a run
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
        return target

    def prune(self) -> None:
        """Keep the ``keep`` newest entries; remove the folders of other versions of this store."""
        try:
            entries = sorted(
                (e for e in os.scandir(self.folder) if e.name.endswith(".json") and not e.name.startswith(".")),
                key=lambda e: e.stat().st_mtime_ns,
            )
            for entry in entries[: -self.keep]:
                os.unlink(entry.path)
            for other in os.scandir(self.folder.parent):
                if other.is_dir() and other.name != self.folder.name and other.name.startswith("v"):
                    import shutil

                    shutil.rmtree(other.path, ignore_errors=True)
                elif other.is_file() and other.name.endswith(".json"):
                    os.unlink(other.path)  # an entry of the layout before versioned folders
        except OSError:
            pass
