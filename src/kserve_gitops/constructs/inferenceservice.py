"""The InferenceService construct.

Two ways in, one object out: ``InferenceService.from_manifest`` keeps a data scientist's YAML field for
field; the typed constructor (``InferenceServiceProps``) is for platform engineers who prefer code.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
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

    @classmethod
    def from_props(cls, scope: Construct, props: "InferenceServiceProps") -> "InferenceService":
        """The typed path; it goes through ``from_manifest`` so both paths label objects the same way."""
        return cls.from_manifest(scope, props_manifest(props))


# --- the typed path ----------------------------------------------------------------------------------

GPU_RESOURCE = "nvidia.com/gpu"
KNATIVE_AUTOSCALING = "autoscaling.knative.dev"


@dataclass(frozen=True)
class ResourcesProps:
    """Container requests and limits, e.g. ``ResourcesProps(requests={"cpu": "500m"}, limits={"memory": "1Gi"})``."""

    requests: dict[str, str] = field(default_factory=dict)
    limits: dict[str, str] = field(default_factory=dict)

    def to_manifest(self, gpus: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {}
        limits = dict(self.limits)
        if gpus:
            limits[GPU_RESOURCE] = gpus  # GPUs are requested through the limit alone
        if self.requests:
            out["requests"] = dict(self.requests)
        if limits:
            out["limits"] = limits
        return out


@dataclass(frozen=True)
class AutoscalingProps:
    """Replicas and the scaling signal. ``scale_metric``/``scale_target`` are KServe's own fields
    (``concurrency``, ``rps``, ``cpu``, ``memory``); ``knative`` adds ``autoscaling.knative.dev/*``
    annotations (Serverless mode only), e.g. ``{"window": "60s", "class": "kpa.autoscaling.knative.dev"}``."""

    min_replicas: int | None = None
    max_replicas: int | None = None
    scale_metric: str | None = None
    scale_target: int | None = None
    knative: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GpuProps:
    """GPUs per replica, and where such replicas may run."""

    count: int = 1
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = (
        {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"},
    )


@dataclass(frozen=True)
class PredictorProps:
    """The model: a ``model_format`` (KServe picks a runtime) or an explicit ``runtime``, or both."""

    storage_uri: str
    model_format: str | None = None
    model_format_version: str | None = None
    runtime: str | None = None
    protocol_version: str | None = None  # "v1" | "v2" | "grpc-v2"
    resources: ResourcesProps | None = None
    service_account_name: str | None = None
    autoscaling: AutoscalingProps | None = None
    gpu: GpuProps | None = None
    canary_traffic_percent: int | None = None


@dataclass(frozen=True)
class ContainerComponentProps:
    """A transformer or explainer given as a container (image, args, env, resources)."""

    image: str
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    resources: ResourcesProps | None = None
    container_name: str = "kserve-container"


@dataclass(frozen=True)
class InferenceServiceProps:
    name: str
    predictor: PredictorProps
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    transformer: ContainerComponentProps | None = None
    explainer: ContainerComponentProps | None = None
    serverless: bool = True  # Knative autoscaling annotations exist only in Serverless mode


def _component_scaling(autoscaling: AutoscalingProps | None) -> dict[str, Any]:
    if autoscaling is None:
        return {}
    out: dict[str, Any] = {}
    for key, value in (
        ("minReplicas", autoscaling.min_replicas),
        ("maxReplicas", autoscaling.max_replicas),
        ("scaleMetric", autoscaling.scale_metric),
        ("scaleTarget", autoscaling.scale_target),
    ):
        if value is not None:
            out[key] = value
    return out


def _container(props: ContainerComponentProps) -> dict[str, Any]:
    container: dict[str, Any] = {"name": props.container_name, "image": props.image}
    if props.args:
        container["args"] = list(props.args)
    if props.env:
        container["env"] = [{"name": k, "value": v} for k, v in props.env.items()]
    if props.resources:
        container["resources"] = props.resources.to_manifest()
    return {"containers": [container]}


def props_manifest(props: InferenceServiceProps) -> dict[str, Any]:
    """The InferenceService manifest a data scientist would write for ``props``."""
    from ..errors import SynthError

    p = props.predictor
    if not p.model_format and not p.runtime:
        raise SynthError(f"InferenceService {props.name}: the predictor needs a model_format or a runtime")
    annotations = dict(props.annotations)
    if p.autoscaling and p.autoscaling.knative:
        if not props.serverless:
            raise SynthError(
                f"InferenceService {props.name}: Knative autoscaling annotations need Serverless mode",
                hint="use min/max replicas and scale_metric/scale_target in RawDeployment mode",
            )
        for key, value in p.autoscaling.knative.items():
            annotations[f"{KNATIVE_AUTOSCALING}/{key}"] = str(value)

    model: dict[str, Any] = {}
    if p.model_format:
        model["modelFormat"] = {"name": p.model_format, **({"version": p.model_format_version} if p.model_format_version else {})}
    if p.runtime:
        model["runtime"] = p.runtime
    if p.protocol_version:
        model["protocolVersion"] = p.protocol_version
    model["storageUri"] = p.storage_uri
    resources = (p.resources or ResourcesProps()).to_manifest(gpus=p.gpu.count if p.gpu else 0)
    if resources:
        model["resources"] = resources

    predictor: dict[str, Any] = {"model": model, **_component_scaling(p.autoscaling)}
    if p.service_account_name:
        predictor["serviceAccountName"] = p.service_account_name
    if p.canary_traffic_percent is not None:
        predictor["canaryTrafficPercent"] = p.canary_traffic_percent
    if p.gpu:
        if p.gpu.node_selector:
            predictor["nodeSelector"] = dict(p.gpu.node_selector)
        if p.gpu.tolerations:
            predictor["tolerations"] = [dict(t) for t in p.gpu.tolerations]

    spec: dict[str, Any] = {"predictor": predictor}
    if props.transformer:
        spec["transformer"] = _container(props.transformer)
    if props.explainer:
        spec["explainer"] = _container(props.explainer)
    metadata: dict[str, Any] = {"name": props.name}
    if props.namespace:
        metadata["namespace"] = props.namespace
    if props.labels:
        metadata["labels"] = dict(props.labels)
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec}
