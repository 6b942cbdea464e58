"""Loading a platform repo's inputs: ``kserve-gitops.yaml`` and ``models/``."""

from __future__ import annotations

from pathlib import Path

from .config import CONFIG_FILE, PlatformConfig, load_config
from .models import Model, load_models


def load_inputs(root: Path) -> tuple[PlatformConfig, list[Model]]:
    config = load_config(_config_path(root))
    return config, load_models(config, root)


def _config_path(root: Path) -> Path:
    path = root / CONFIG_FILE
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
