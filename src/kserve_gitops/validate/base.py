"""The old objects of an UPDATE: what a base commit's committed overlays render to.

The cluster holds what ``main`` committed (ArgoCD syncs ``overlays/<env>``), so the base commit's own
rendered overlays, not a fresh synth of its inputs, are the objects a change updates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from ..render.cache import render_environment
from ..render.kustomize import find_renderer
from ..render.stream import parse_stream
from ..results import ObjectKey

BaseObjects = dict[str, dict[ObjectKey, dict[str, Any]]]


def object_key(obj: dict[str, Any]) -> ObjectKey:
    """(API group, kind, namespace, name): the identity the API server keeps across API versions."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}  # a malformed object still has a key (its findings say why)
    return (group, str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", "")))


def index_stream(stream: str) -> dict[ObjectKey, dict[str, Any]]:
    """A rendered stream's objects (render.stream.parse_stream) by key; a later object with a key wins."""
    return {object_key(o.data): o.data for o in parse_stream(stream) if isinstance(o.data, dict)}


def committed_objects(root: Path, environments: Iterable[str], *, use_cache: bool = True) -> BaseObjects:
    """Render ``root``'s committed ``overlays/<env>`` of each environment that has one."""
    renderer = find_renderer()
    out: BaseObjects = {}
    for env in environments:
        overlay = root / "overlays" / env
        if (overlay / "kustomization.yaml").is_file():
            out[env] = index_stream(render_environment(overlay, renderer=renderer, use_cache=use_cache).stream)
    return out


def objects_at_ref(root: Path, ref: str, environments: Iterable[str]) -> BaseObjects:
    """``committed_objects`` of the commit ``ref`` names (in a temporary git worktree)."""
    from ..operate import gitrepo

    top = gitrepo.toplevel(root)
    inside = root.resolve().relative_to(top.resolve()) if root.resolve() != top.resolve() else Path(".")
    with gitrepo.worktree(ref, cwd=top) as tree:
        return committed_objects(tree / inside, list(environments), use_cache=False)
