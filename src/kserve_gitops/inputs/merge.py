"""Merge semantics shared by the inputs (a model and its environment patch), synth and the lifecycle
commands: kustomize's strategic merge on custom resources, which (having no patch strategy for CRDs) merges
maps, replaces lists and deletes on null; and ``dig``, the nested-dict getter."""

from __future__ import annotations

import copy
from typing import Any


def merge_patch(base: Any, patch: Any) -> Any:
    if not isinstance(patch, dict) or not isinstance(base, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_patch(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def dig(data: Any, *path: Any, default: Any = None) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return default
    return data
