"""Charts that know where they land in the repo: a kustomize base or an overlay.

Every output file of ``synth`` comes from one of these cdk8s charts. Names never get cdk8s hashes:
GitOps output wants stable, explicit names.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import cdk8s
from constructs import Construct

_ID_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


def construct_id(text: str) -> str:
    """A construct id from a path or name (cdk8s ids may not contain '/')."""
    return _ID_UNSAFE.sub("-", text.replace("/", "--"))


def api_object(scope: Construct, manifest: Mapping[str, Any], *, id: str | None = None) -> cdk8s.ApiObject:
    """An ApiObject holding ``manifest`` exactly (the escape hatch that keeps every field the user wrote)."""
    manifest = dict(manifest)
    metadata = dict(manifest.pop("metadata", {}) or {})
    api_version = manifest.pop("apiVersion")
    kind = manifest.pop("kind")
    obj_id = id or construct_id(f"{kind}-{metadata.get('namespace', '')}-{metadata.get('name', '')}")
    # cdk8s types a few metadata fields (and rejects others, or other value types); the rest of the
    # metadata goes in as JSON patches so every field the user wrote survives as written.
    typed = {k: metadata[k] for k in _TYPED_METADATA if k in metadata}
    obj = cdk8s.ApiObject(scope, obj_id, api_version=api_version, kind=kind, metadata=typed)
    for key in sorted(set(metadata) - set(typed), key=str):
        obj.add_json_patch(cdk8s.JsonPatch.add(f"/metadata/{_pointer(key)}", metadata[key]))
    for key in sorted(manifest, key=str):
        obj.add_json_patch(cdk8s.JsonPatch.add(f"/{_pointer(key)}", manifest[key]))
    return obj


_TYPED_METADATA = ("name", "namespace", "labels", "annotations")


def _pointer(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


class KustomizeBase(cdk8s.Chart):
    """A chart synthesized to ``charts/<path>/``: one file per object and a kustomization listing them."""

    def __init__(self, scope: Construct, path: str, *, labels: Mapping[str, str] | None = None) -> None:
        super().__init__(scope, construct_id(f"charts/{path}"), disable_resource_name_hashes=True, labels=dict(labels or {}))
        self.output_dir = f"charts/{path}"


class KustomizeOverlay(cdk8s.Chart):
    """A chart synthesized to a kustomization that combines bases and patches them.

    Objects added to the chart are *patches*: partial objects written under ``patches/`` and applied to the
    object with the same kind and name (strategic merge). ``resources`` are paths relative to the repo root.
    """

    def __init__(
        self,
        scope: Construct,
        path: str,
        *,
        resources: list[str] | None = None,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id(path), disable_resource_name_hashes=True)
        self.output_dir = path
        self.resources: list[str] = list(resources or [])
        self.target_namespace = namespace
        self.common_labels: dict[str, str] = dict(labels or {})

    def add_resource(self, repo_path: str) -> None:
        if repo_path not in self.resources:
            self.resources.append(repo_path)

    def add_patch(self, patch: Mapping[str, Any]) -> cdk8s.ApiObject:
        return api_object(self, patch)


class KustomizeBaseSet(cdk8s.Chart):
    """Many one-object kustomize bases built as one chart: each object lands in ``charts/<prefix>/<name>/``.

    One chart renders in one jsii round trip; a chart per model would cost a round trip each, which
    dominates synth time for fleets of hundreds of models.
    """

    def __init__(self, scope: Construct, prefix: str, *, labels: Mapping[str, str] | None = None) -> None:
        super().__init__(scope, construct_id(f"charts/{prefix}"), disable_resource_name_hashes=True, labels=dict(labels or {}))
        self.output_prefix = f"charts/{prefix}"

    def dir_for(self, name: str) -> str:
        return f"{self.output_prefix}/{name}"


class KustomizeOverlaySet(cdk8s.Chart):
    """Per-object overlays built as one chart: each patch lands in ``<prefix>/<name>/`` with a kustomization
    that renders its own base and applies the patch. Small kustomizations keep kustomize linear: it
    matches every patch against every resource of a kustomization."""

    def __init__(self, scope: Construct, prefix: str) -> None:
        super().__init__(scope, construct_id(prefix), disable_resource_name_hashes=True)
        self.output_prefix = prefix
        self.base_dirs: dict[str, str] = {}

    def add_patch(self, patch: Mapping[str, Any], *, base_dir: str) -> str:
        name = patch["metadata"]["name"]
        self.base_dirs[name] = base_dir
        api_object(self, patch)
        return f"{self.output_prefix}/{name}"
