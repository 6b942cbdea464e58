"""The InferenceService construct.

Two ways in, one object out: ``InferenceService.from_manifest`` keeps a data scientist's YAML field for
field; the typed constructor (``InferenceServiceProps``) is for platform engineers who prefer code.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

import cdk8s
from constructs import Construct

from .kustomize import api_object, construct_id

API_VERSION = "serving.kserve.io/v1beta1"
KIND = "InferenceService"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kserve-gitops"}
MODEL_LABEL = "kserve-gitops.io/model"
# Annotations that instruct kserve-gitops and mean nothing to the cluster.
TOOL_ANNOTATIONS = ("kserve-gitops.io/environments", "kserve-gitops.io/namespace")


class InferenceService(Construct):
    """One KServe InferenceService."""

    def __init__(self, scope: Construct, id: str, *, manifest: Mapping[str, Any]) -> None:
        super().__init__(scope, id)
        self.manifest = copy.deepcopy(dict(manifest))
        self.api_object: cdk8s.ApiObject = api_object(self, self.manifest, id="Resource")

    @property
    def name(self) -> str:
        return self.manifest["metadata"]["name"]

    @classmethod
    def from_manifest(cls, scope: Construct, manifest: Mapping[str, Any]) -> "InferenceService":
        """Wrap a model file as written, adding the platform's labels and dropping tool-only annotations."""
        manifest = copy.deepcopy(dict(manifest))
        manifest.pop("status", None)
        meta = manifest.setdefault("metadata", {})
        name = meta["name"]
        meta["labels"] = {**(meta.get("labels") or {}), **MANAGED_BY, MODEL_LABEL: name}
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in TOOL_ANNOTATIONS}
        if annotations:
            meta["annotations"] = annotations
        else:
            meta.pop("annotations", None)
        return cls(scope, construct_id(name), manifest=manifest)
