"""Loaded ``models/`` by content hash, for ``validate``'s incremental path.

``validate`` needs the models only to point findings at their files and to count them, yet parsing and
checking 1,000 model folders (3,000 YAML files) costs more than the cached render itself. Loading is a pure
function of the config file, one model folder's files and this package's loader code, so each model is
stored under the hash of exactly those bytes; after one model changes only that one is parsed again. A
symlink under ``models/`` (whose target the key would not cover) and a model that does not survive a JSON
round trip are always loaded fresh; a model that fails to load is never stored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from . import config as config_module
from . import models as models_module
from . import yamlsrc
from .config import PlatformConfig
from ..errors import InputError, collect
from .models import MODELS_DIR, Model, load_models
from .repo import _config_path, load_inputs
from ..cachedir import NO_CACHE_ENV, JsonStore

FORMAT = 2


def load_inputs_cached(root: Path, *, use_cache: bool = True, cache_dir: Path | None = None) -> tuple[PlatformConfig, list[Model]]:
    if not use_cache or os.environ.get(NO_CACHE_ENV):
        return load_inputs(root)
    config_path = _config_path(root)
    config = config_module.load_config(config_path)  # always read: small, and its errors matter
    folders = _model_folders(root)
    if folders is None:
        return config, load_models(config, root)
    # Content, not the checkout's path: a temporary copy of the repo (canary, diff) hits the same entries.
    common = hashlib.sha256(b"inputs")
    for module in (config_module, models_module, yamlsrc):
        common.update(Path(module.__file__ or "").read_bytes())
    common.update(Path(config_path).read_bytes())
    store = JsonStore("models", FORMAT, keep=64, root=cache_dir)
    store_key = common.hexdigest()[:32]
    stored = _read(store, store_key)
    models: list[Model] = []
    entries: dict[str, Any] = {}
    errors: list[InputError] = []
    for folder in folders:
        key = _folder_key(common.copy(), folder)
        entry = stored.get(key) if key else None
        model = _model_from(entry, root) if entry is not None else None
        if model is None:
            try:
                model = models_module.load_model(folder, config, root)  # a bad model is never cached
            except InputError as exc:  # every broken model in one run, as load_models reports them
                errors.append(exc)
                continue
            entry = _entry_of(model)
        if key and entry is not None:
            entries[key] = entry
        models.append(model)
    collect(errors)
    if set(entries) != set(stored):
        store.put(store_key, {"models": entries})
    return config, models


def _model_folders(root: Path) -> list[Path] | None:
    """The folders ``load_models`` would load, or None when it should run itself (a symlink, a stray
    YAML file it reports, no models/)."""
    models_dir = root / MODELS_DIR
    if not models_dir.is_dir():
        return None
    folders = []
    for entry in sorted(models_dir.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        if entry.is_symlink() or (not entry.is_dir() and entry.suffix in (".yaml", ".yml")):
            return None
        if entry.is_dir():
            folders.append(entry)
    return folders


def _folder_key(digest: Any, folder: Path) -> str | None:
    """Hash of the loader code, the config and every file of one model folder (None: do not cache)."""
    digest.update(f"\0model {folder.name}".encode())
    try:
        for file in sorted(os.scandir(folder), key=lambda e: e.name):
            if file.is_symlink():
                return None
            digest.update(f"\0file {file.name} {file.is_file()}\0".encode())
            if file.is_file():
                with open(file.path, "rb") as handle:
                    digest.update(handle.read())
    except OSError:
        return None
    return digest.hexdigest()


def _read(store: JsonStore, key: str) -> dict[str, Any]:
    data = store.get(key)
    if isinstance(data, dict) and isinstance(data.get("models"), dict):
        return data["models"]
    return {}


def _model_from(entry: Any, root: Path | None = None) -> Model | None:
    try:
        return Model(
            root=root,
            name=entry["name"],
            base_path=entry["base_path"],
            base=entry["base"],
            environments=tuple(entry["environments"]),
            overlays={env: (o[0], o[1]) for env, o in entry["overlays"].items()},
        )
    except (KeyError, TypeError, IndexError, AttributeError, ValueError):
        return None


def _entry_of(model: Model) -> dict[str, Any] | None:
    """The model as JSON, or None when JSON would change it (e.g. a non-string mapping key)."""
    entry = {
        "name": model.name,
        "base_path": model.base_path,
        "base": model.base,
        "environments": list(model.environments),
        "overlays": {env: [o[0], o[1]] for env, o in model.overlays.items()},
    }
    try:
        reloaded = json.loads(json.dumps(entry))
    except (TypeError, ValueError):
        return None
    return entry if _model_from(reloaded) == model else None
