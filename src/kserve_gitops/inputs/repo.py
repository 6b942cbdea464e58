"""Loading a platform repo's inputs: ``kserve-gitops.yaml`` and ``models/``."""

from __future__ import annotations

from pathlib import Path

from .config import CONFIG_FILE, PlatformConfig, load_config
from .models import Model, load_models
from ..errors import YamlError
from .paths import display_path
from .yamlsrc import positions_for


def load_inputs(root: Path) -> tuple[PlatformConfig, list[Model]]:
    config = load_config(_config_path(root))
    return config, load_models(config, root)


def _config_path(root: Path) -> Path:
    return Path(display_path(root / CONFIG_FILE))


def duplicate_keys(config: PlatformConfig, models: list[Model]) -> list[YamlError]:
    """Every key written twice in one mapping of an input file, as errors that carry file, line and key.

    YAML parsers keep the last value silently; a repeated key in a model file is almost always a mistake.
    """
    repo_files = [p for m in models for p in (m.base_path, *(path for path, _ in m.overlays.values()))]
    files = [str(config.path)] + [str(config.root / p) for p in repo_files]
    found = []
    for path in files:
        for _, key, line, col in positions_for(path).duplicate_keys():
            found.append(YamlError(f"duplicate key {key!r} (the last one wins)", path=path, line=line, column=col))
    return found
