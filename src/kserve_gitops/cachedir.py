"""Where kserve-gitops keeps what it can recompute: rendered models, converted CRD schemas, policy analyses.

Every cache is keyed by content, written atomically and only ever an optimisation: a missing or unreadable
entry is computed again, never trusted to decide a verdict.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$KSERVE_GITOPS_CACHE``, else ``$XDG_CACHE_HOME/kserve-gitops``, else ``~/.cache/kserve-gitops``."""
    explicit = os.environ.get("KSERVE_GITOPS_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "kserve-gitops"
