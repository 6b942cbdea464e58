"""Merge semantics shared by the inputs (a model and its environment patch), synth and the lifecycle
commands: kustomize's strategic merge on custom resources, which (having no patch strategy for CRDs) merges
maps, replaces lists and deletes on null; and ``dig``, the nested-dict getter.

Measured with kustomize v5.8.1 (``kustomize build``, a patch file under ``patches:`` on an InferenceService
base, no CRD schema given):

- maps merge key by key (an empty patch map changes nothing); a list replaces the base's list whole;
- a null in a patch map deletes the key, or is nothing when the key is absent; a null inside a map the
  patch adds (where the base has no map, or a null) is dropped too, leaving the map, even empty (``a: {}``);
  nulls inside a list are kept as written, and the base's own nulls are kept;
- scalars replace scalars whatever their types (string, number, boolean);
- a map, a list and a scalar against each other (empty map and empty list included) fail the build
  ("wrong node kind: expected MappingNode but got ScalarNode"): ``merge_conflicts`` finds those, and a
  null on either side is no conflict;
- metadata.labels and metadata.annotations are string maps to kustomize even on a custom resource: a null
  value in them becomes the string "null", and ``labels: null`` leaves the labels. ``merge_patch`` does not
  model this; models.py refuses null values there.
"""

from __future__ import annotations

import copy
from typing import Any, Iterator


def merge_patch(base: Any, patch: Any) -> Any:
    """``patch`` merged onto ``base`` as kustomize merges it; neither input is changed nor shared."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    # a map the patch adds is merged into nothing, so the nulls inside it are dropped, as kustomize does
    out = copy.deepcopy(base) if isinstance(base, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _node_kind(value: Any) -> str:
    return "map" if isinstance(value, dict) else "list" if isinstance(value, list) else "scalar"


def merge_conflicts(base: Any, patch: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[list[Any], Any, Any]]:
    """(path, base value, patch value) of every field kustomize refuses to merge, in the patch's order:
    a map, a list or a scalar where the base has another of the three (nulls are no conflict)."""
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return
    for key, value in patch.items():
        old = base.get(key)
        if value is None or old is None:
            continue
        if _node_kind(old) != _node_kind(value):
            yield [*path, key], old, value
        elif isinstance(value, dict):
            yield from merge_conflicts(old, value, (*path, key))


def dig(data: Any, *path: Any, default: Any = None) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return default
    return data
