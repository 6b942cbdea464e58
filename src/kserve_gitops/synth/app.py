"""Synth: inputs → cdk8s constructs → the bytes of ``charts/`` and ``overlays/``.

Components add charts to one cdk8s ``App``; ``collect_files`` turns every chart into files. Each component
is a function of a ``SynthContext``, run in the order of the table in ``components/``.
"""

from __future__ import annotations

import posixpath
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import InputError, SynthError, ToolNotFound
from ..inputs.config import PlatformConfig
from ..inputs.models import Model
from ..inputs.repo import duplicate_keys, load_inputs
from .context import ENVIRONMENT_LABEL, SynthContext
from .output import HEADER, Drift, compare, dump_yaml, with_stamp, write_tree

if TYPE_CHECKING:
    import cdk8s


def require_cdk8s():
    """Import cdk8s, which starts Node.js through jsii: only synth pays for it (render/validate do not)."""
    if shutil.which("node") is None:
        raise ToolNotFound(
            "node (Node.js) is not installed; synth runs the cdk8s constructs on Node.js",
            hint="install Node.js (Debian package nodejs); render and validate work without it",
        )
    import cdk8s

    return cdk8s

KUSTOMIZATION = "kustomization.yaml"
_SAFE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def synthesize(config: PlatformConfig, models: list[Model], *, components: list[str] | None = None) -> dict[str, bytes]:
    """Build every chart and return the output files, keyed by repo-relative path."""
    return collect_files(build_app(config, models, components=components))


def build_app(
    config: PlatformConfig, models: list[Model], *, components: list[str] | None = None, outdir: str | None = None
) -> cdk8s.App:
    cdk8s = require_cdk8s()
    from ..constructs.kustomize import KustomizeOverlay
    from .components import COMPONENTS  # the constructs: imported once Node.js is known to be there

    app = cdk8s.App(outdir=outdir) if outdir else cdk8s.App()
    ctx = SynthContext(config=config, models=models, app=app)
    for env in config.select(None):
        ctx.overlays[env.name] = KustomizeOverlay(
            app, f"overlays/{env.name}", labels={ENVIRONMENT_LABEL: env.name}
        )
    for name in components or list(COMPONENTS):
        COMPONENTS[name](ctx)
    return app


def collect_files(app: cdk8s.App) -> dict[str, bytes]:
    from ..constructs.kustomize import KustomizeBase, KustomizeBaseSet, KustomizeOverlay, KustomizeOverlaySet

    files: dict[str, str] = {}
    for chart in app.charts:
        objects = chart.to_json()
        if isinstance(chart, KustomizeBase):
            _collect_base(chart.output_dir, objects, files)
        elif isinstance(chart, KustomizeOverlay):
            _collect_overlay(chart.output_dir, objects, files, chart.resources, chart.target_namespace, chart.common_labels)
        elif isinstance(chart, KustomizeBaseSet):
            for name, group in _by_name(objects).items():
                _collect_base(chart.dir_for(name), group, files)
        elif isinstance(chart, KustomizeOverlaySet):
            for name, group in _by_name(objects).items():
                _collect_overlay(f"{chart.output_prefix}/{name}", group, files, [chart.base_dirs[name]], None, {})
        else:
            raise SynthError(f"chart {chart.node.id!r} is neither a kustomize base nor an overlay")
    return {path: text.encode() for path, text in sorted(files.items())}


def object_file_name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind", "")).lower()
    name = str(meta.get("name", ""))
    namespace = str(meta.get("namespace", "") or "")
    for part in (kind, name, namespace):
        if part and not _SAFE_NAME.match(part):
            raise SynthError(
                f"{obj.get('kind')} name {part!r} is not a valid Kubernetes name and cannot be used as a file name",
                hint="names are lower-case letters, digits, '-' and '.', starting and ending with a letter or digit",
            )
    if not name:
        raise SynthError(f"a {obj.get('kind')} object has no metadata.name")
    parts = [kind, namespace, name] if namespace else [kind, name]
    return "-".join(parts) + ".yaml"


def _put(files: dict[str, str], path: str, text: str) -> None:
    if path in files:
        raise SynthError(f"two objects would be written to {path}", hint="object names must be unique per kind")
    files[path] = text


def _by_name(objects: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        name = str((obj.get("metadata") or {}).get("name", ""))
        if not _SAFE_NAME.match(name):
            raise SynthError(f"{obj.get('kind')} name {name!r} cannot name a folder")
        groups.setdefault(name, []).append(obj)
    return groups


def _collect_base(output_dir: str, objects: list[dict[str, Any]], files: dict[str, str]) -> None:
    names = []
    for obj in objects:
        name = object_file_name(obj)
        names.append(name)
        _put(files, f"{output_dir}/{name}", HEADER + dump_yaml(obj))
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(names),
    }
    _put(files, f"{output_dir}/{KUSTOMIZATION}", HEADER + dump_yaml(kustomization))


def _collect_overlay(
    output_dir: str,
    objects: list[dict[str, Any]],
    files: dict[str, str],
    resources: list[str],
    namespace: str | None,
    labels: dict[str, str],
) -> None:
    patches = []
    for obj in objects:
        name = f"patches/{object_file_name(obj)}"
        _put(files, f"{output_dir}/{name}", HEADER + dump_yaml(obj))
        group, _, version = str(obj["apiVersion"]).rpartition("/")
        target = {"kind": obj["kind"], "name": obj["metadata"]["name"], "version": version}
        if group:
            target["group"] = group
        patches.append({"path": name, "target": target})
    kustomization: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(posixpath.relpath(r, output_dir) for r in resources),
    }
    if namespace:
        kustomization["namespace"] = namespace
    if labels:
        kustomization["labels"] = [{"pairs": dict(labels), "includeSelectors": False}]
    if patches:
        kustomization["patches"] = sorted(patches, key=lambda p: p["path"])
    _put(files, f"{output_dir}/{KUSTOMIZATION}", HEADER + dump_yaml(kustomization))


# --- the repo-level entry points ---------------------------------------------------------------------


def synth_repo(
    root: Path, *, check: bool = False, strict: bool = False, warn: Callable[[InputError], None] | None = None
) -> Drift:
    """Synthesize the repo at ``root``. With ``check``, compare only and write nothing.

    Duplicate keys in the inputs go to ``warn``; with ``strict`` they stop the run before anything is written.
    """
    config, models = load_inputs(root)
    if warn is not None or strict:
        duplicates = duplicate_keys(config, models)
        if strict and duplicates:
            duplicates[0].hint = f"{len(duplicates)} duplicate key(s) in the inputs (--strict makes them errors)"
            raise duplicates[0]
        for problem in duplicates:
            if warn is not None:
                warn(problem)
    files = with_stamp(root, synthesize(config, models))
    if check:
        return compare(root, files)
    return write_tree(root, files)
