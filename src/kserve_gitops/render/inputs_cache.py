"""Loaded ``models/`` by content hash, for ``validate``'s incremental path.

``validate`` needs the models only to point findings at their files and to count them, yet parsing and
checking 1,000 model folders (3,000 YAML files) costs more than the cached render itself. Loading is a pure
function of the config file, the files under ``models/`` and this package's loader code, so its result is
stored under the hash of exactly those bytes. A repo with a symlink under ``models/`` (whose target the
key would not cover) is always loaded fresh, as is any run whose models do not survive a JSON round trip.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..inputs import config as config_module
from ..inputs import models as models_module
from ..inputs import yamlsrc
from ..inputs.config import PlatformConfig
from ..inputs.models import MODELS_DIR, Model, load_models
from ..inputs.repo import _config_path, load_inputs
from .cache import NO_CACHE_ENV, cache_root, prune

FORMAT = 1


def load_inputs_cached(root: Path, *, use_cache: bool = True, cache_dir: Path | None = None) -> tuple[PlatformConfig, list[Model]]:
    if not use_cache or os.environ.get(NO_CACHE_ENV):
        return load_inputs(root)
    config = config_module.load_config(_config_path(root))  # always read: small, and its errors matter
    key = _key(root)
    path = (cache_dir or cache_root()) / "models" / f"{key}.json" if key else None
    if path is not None:
        models = _read(path)
        if models is not None:
            return config, models
    models = load_models(config, root)
    if path is not None:
        _write(path, models)
    return config, models


def _key(root: Path) -> str | None:
    """Hash of the loader code, the config and every file under models/ (None: do not cache)."""
    digest = hashlib.sha256(f"{FORMAT}\0{root.resolve()}".encode())
    for module in (config_module, models_module, yamlsrc):
        digest.update(Path(module.__file__ or "").read_bytes())
    try:
        digest.update((root / config_module.CONFIG_FILE).read_bytes())
        models_dir = root / MODELS_DIR
        if not models_dir.is_dir():
            return None
        for entry in sorted(os.scandir(models_dir), key=lambda e: e.name):
            if entry.is_symlink():
                return None
            digest.update(f"\0entry {entry.name} {entry.is_dir()}".encode())
            if not entry.is_dir():
                continue
            for file in sorted(os.scandir(entry.path), key=lambda e: e.name):
                if file.is_symlink():
                    return None
                digest.update(f"\0file {file.name}\0".encode())
                if file.is_file():
                    with open(file.path, "rb") as handle:
                        digest.update(handle.read())
    except OSError:
        return None
    return digest.hexdigest()


def _read(path: Path) -> list[Model] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [
            Model(
                name=m["name"],
                base_path=m["base_path"],
                base=m["base"],
                environments=tuple(m["environments"]),
                overlays={env: (o[0], o[1]) for env, o in m["overlays"].items()},
            )
            for m in data
        ]
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def _write(path: Path, models: list[Model]) -> None:
    data: list[dict[str, Any]] = [
        {
            "name": m.name,
            "base_path": m.base_path,
            "base": m.base,
            "environments": list(m.environments),
            "overlays": {env: [o[0], o[1]] for env, o in m.overlays.items()},
        }
        for m in models
    ]
    try:
        text = json.dumps(data, separators=(",", ":"))
        if _lossy(models, json.loads(text)):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".models-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
        prune(path.parent)
    except (OSError, TypeError, ValueError):
        pass  # a cache that cannot be written only costs time


def _lossy(models: list[Model], reloaded: list[dict]) -> bool:
    """True when JSON changed a model (e.g. a non-string mapping key): such a repo is not cached."""
    return any(m.base != r["base"] or {e: o[1] for e, o in m.overlays.items()} != {e: o[1] for e, o in r["overlays"].items()} for m, r in zip(models, reloaded))
