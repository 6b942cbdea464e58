"""KServe's LLMInferenceService (``serving.kserve.io/v1alpha2``, the storage version; KServe v0.20+).

Two ways in, one object out, as for InferenceServices: ``LLMInferenceService.from_manifest`` keeps a
``models/<name>/llminferenceservice.yaml`` field for field; ``from_props`` (``LLMInferenceServiceProps``)
is the typed path. The types are written for v1alpha2 on purpose: ``cdk8s import`` of the CRD would
generate ``versions[0]``, the older v1alpha1.

``environment_patch`` fits a model to an environment (``kserve-gitops.yaml`` ``llm``): replicas and the vLLM
container's resources (GPUs) when the model sets none, the IRSA ServiceAccount for ``s3://`` models, and
only the LLMInferenceServiceConfig presets the environment allows in ``spec.baseRefs``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import cdk8s
from constructs import Construct

from ..errors import SynthError
from ..inputs.config import Environment
from ..inputs.models import LLM_API_VERSION, LLM_KIND, Model
from ..inputs.yamlsrc import positions_for
from ..inputs.merge import dig, merge_patch
from .inferenceservice import GPU_RESOURCE, MANAGED_BY, MODEL_LABEL, TOOL_ANNOTATIONS
from .kustomize import api_object, construct_id

API_VERSION = LLM_API_VERSION
KIND = LLM_KIND
# The container KServe's presets (kserve-config-llm-template) run vLLM in; a model's template merges by name.
MAIN_CONTAINER = "main"
STORAGE_SCHEMES = ("hf://", "s3://", "pvc://", "oci://")
MIN_KSERVE = (0, 20)


class LLMInferenceService(Construct):
    """One KServe LLMInferenceService."""

    def __init__(self, scope: Construct, id: str, *, manifest: Mapping[str, Any]) -> None:
        super().__init__(scope, id)
        self.manifest = copy.deepcopy(dict(manifest))
        self.api_object: cdk8s.ApiObject = api_object(self, self.manifest, id="Resource")

    @property
    def name(self) -> str:
        return self.manifest["metadata"]["name"]

    @classmethod
    def from_manifest(cls, scope: Construct, manifest: Mapping[str, Any]) -> "LLMInferenceService":
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

    @classmethod
    def from_props(cls, scope: Construct, props: "LLMInferenceServiceProps") -> "LLMInferenceService":
        return cls.from_manifest(scope, props_manifest(props))


# --- the typed path (v1alpha2) -------------------------------------------------------------------------


@dataclass(frozen=True)
class LLMModelProps:
    """``spec.model``: ``uri`` (``hf://``, ``s3://``, ``pvc://``, ``oci://``) and the name vLLM serves it as."""

    uri: str
    name: str | None = None


@dataclass(frozen=True)
class LLMResourcesProps:
    """The vLLM container's requests and limits; ``gpus`` goes into both as ``nvidia.com/gpu``."""

    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)
    gpus: int = 0

    def to_manifest(self) -> dict[str, Any]:
        requests, limits = dict(self.requests), dict(self.limits)
        if self.gpus:
            requests[GPU_RESOURCE] = str(self.gpus)
            limits[GPU_RESOURCE] = str(self.gpus)
        out: dict[str, Any] = {}
        if requests:
            out["requests"] = requests
        if limits:
            out["limits"] = limits
        return out


@dataclass(frozen=True)
class LLMRouterProps:
    """``spec.router``: KServe-managed Gateway API objects (``gateway``, ``route``) and the llm-d inference
    scheduler (``scheduler``); each ``True`` writes ``{}``, KServe's "manage it for me"."""

    gateway: bool = True
    route: bool = True
    scheduler: bool = True

    def to_manifest(self) -> dict[str, Any]:
        return {k: {} for k in ("gateway", "route", "scheduler") if getattr(self, k)}


@dataclass(frozen=True)
class LLMInferenceServiceProps:
    name: str
    model: LLMModelProps
    replicas: int | None = None
    resources: LLMResourcesProps | None = None
    base_refs: tuple[str, ...] = ()  # LLMInferenceServiceConfig presets, e.g. ("kserve-config-llm-template",)
    router: LLMRouterProps | None = None
    service_account_name: str | None = None
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = ()
    args: tuple[str, ...] = ()  # extra vLLM arguments for the main container
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)


def props_manifest(props: LLMInferenceServiceProps) -> dict[str, Any]:
    """The v1alpha2 manifest a data scientist would write for ``props``."""
    if not props.model.uri.startswith(STORAGE_SCHEMES):
        raise SynthError(
            f"LLMInferenceService {props.name}: model uri {props.model.uri!r} is not one of {', '.join(STORAGE_SCHEMES)}"
        )
    model: dict[str, Any] = {"uri": props.model.uri}
    if props.model.name:
        model["name"] = props.model.name
    spec: dict[str, Any] = {"model": model}
    if props.replicas is not None:
        spec["replicas"] = props.replicas
    if props.base_refs:
        spec["baseRefs"] = [{"name": n} for n in props.base_refs]
    if props.router:
        spec["router"] = props.router.to_manifest()
    container: dict[str, Any] = {"name": MAIN_CONTAINER}
    if props.resources:
        container["resources"] = props.resources.to_manifest()
    if props.args:
        container["args"] = list(props.args)
    template: dict[str, Any] = {}
    if len(container) > 1:
        template["containers"] = [container]
    if props.service_account_name:
        template["serviceAccountName"] = props.service_account_name
    if props.node_selector:
        template["nodeSelector"] = dict(props.node_selector)
    if props.tolerations:
        template["tolerations"] = [dict(t) for t in props.tolerations]
    if template:
        spec["template"] = template
    metadata: dict[str, Any] = {"name": props.name}
    if props.namespace:
        metadata["namespace"] = props.namespace
    if props.labels:
        metadata["labels"] = dict(props.labels)
    if props.annotations:
        metadata["annotations"] = dict(props.annotations)
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec}


# --- fitting a model to an environment ----------------------------------------------------------------


def effective_manifest(model: Model, env: Environment) -> dict[str, Any]:
    return merge_patch(model.base, environment_patch(model, env))


def environment_patch(model: Model, env: Environment) -> dict[str, Any]:
    """The overlay patch of an LLM model in ``env``: the platform fills what the model leaves unset, then
    the model's own ``<env>.yaml`` applies (the author's fields win)."""
    _require_kserve(model, env)
    own = model.overlay(env.name)
    as_written = merge_patch(model.base, own)
    spec = as_written.get("spec") or {}
    _check_base_refs(model, env, as_written)
    _check_uri(model, env, as_written)
    llm = env.llm
    platform_spec: dict[str, Any] = {}
    if llm.get("defaultReplicas") is not None and "replicas" not in spec and "scaling" not in spec:
        platform_spec["replicas"] = llm["defaultReplicas"]
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    template_patch: dict[str, Any] = {}
    uri = dig(spec, "model", "uri")
    if isinstance(uri, str) and uri.startswith("s3://") and not template.get("serviceAccountName"):
        template_patch["serviceAccountName"] = env.service_account
    defaults = llm.get("defaultResources") or {}
    containers = template.get("containers")
    if defaults:
        if containers is None:
            template_patch["containers"] = [{"name": MAIN_CONTAINER, "resources": copy.deepcopy(defaults)}]
        elif isinstance(containers, list):
            # Lists are replaced whole by a merge: restate the list with the main container's defaults.
            restated = []
            for c in containers:
                if isinstance(c, dict) and c.get("name") == MAIN_CONTAINER and not c.get("resources"):
                    c = {**c, "resources": copy.deepcopy(defaults)}
                restated.append(c)
            if restated != containers:
                template_patch["containers"] = restated
    if template_patch:
        platform_spec["template"] = template_patch
    platform: dict[str, Any] = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": model.name}}
    if platform_spec:
        platform["spec"] = platform_spec
    own_fields = {k: v for k, v in own.items() if k not in ("apiVersion", "kind")}
    return merge_patch(own_fields, platform)


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:2]) if v != "main" else (999,)


def _error(model: Model, rel: str, parts: list[Any], message: str, hint: str) -> SynthError:
    line, col, _ = positions_for(model.source(rel)).locate(0, parts)
    field_path = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in parts).replace(".[", "[")
    return SynthError(message, path=rel, line=line, column=col, field=field_path or None, hint=hint)


def _require_kserve(model: Model, env: Environment) -> None:
    if _version(env.kserve_version) < MIN_KSERVE:
        raise _error(
            model,
            model.base_path,
            ["kind"],
            f"LLMInferenceService needs KServe v0.20 or later; environment {env.name!r} runs {env.kserve_version}",
            f"limit the model with the kserve-gitops.io/environments annotation, or upgrade {env.name}",
        )


def _holder(model: Model, env: Environment, parts: list[Any]) -> str:
    """The file that sets ``parts``: the environment's patch if it does, else the base."""
    own = model.overlay(env.name)
    return model.overlay_path(env.name) if dig(own, *parts) is not None else model.base_path


def _check_base_refs(model: Model, env: Environment, manifest: dict[str, Any]) -> None:
    allowed = env.llm.get("allowedConfigs")
    refs = dig(manifest, "spec", "baseRefs")
    if allowed is None or not isinstance(refs, list):
        return
    for i, ref in enumerate(refs):
        name = ref.get("name") if isinstance(ref, dict) else None
        if name not in allowed:
            raise _error(
                model,
                _holder(model, env, ["spec", "baseRefs"]),
                ["spec", "baseRefs", i, "name"],
                f"LLMInferenceServiceConfig {name!r} is not a preset environment {env.name!r} allows",
                f"{env.name} allows (llm.allowedConfigs in kserve-gitops.yaml): {', '.join(allowed) or '(none)'}",
            )


def _check_uri(model: Model, env: Environment, manifest: dict[str, Any]) -> None:
    uri = dig(manifest, "spec", "model", "uri")
    if isinstance(uri, str) and not uri.startswith(STORAGE_SCHEMES):
        raise _error(
            model,
            _holder(model, env, ["spec", "model", "uri"]),
            ["spec", "model", "uri"],
            f"model uri {uri!r} is not one kserve-gitops deploys LLMs from",
            f"use {', '.join(s + '...' for s in STORAGE_SCHEMES)}",
        )
