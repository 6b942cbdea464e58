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
TOOL_ANNOTATIONS = ("kserve-gitops.io/environments", "kserve-gitops.io/namespace", "kserve-gitops.io/local-model-cache")


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
    annotations (Knative mode only), e.g. ``{"window": "60s", "class": "kpa.autoscaling.knative.dev"}``."""

    min_replicas: int | None = None
    max_replicas: int | None = None
    scale_metric: str | None = None
    scale_target: int | None = None
    knative: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GpuProps:
    """GPUs per replica, and where such replicas may run. ``runtime_class_name`` picks the node's container
    runtime handler (e.g. ``nvidia`` where the GPU operator installs one as a RuntimeClass)."""

    count: int = 1
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: tuple[dict[str, Any], ...] = (
        {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"},
    )
    runtime_class_name: str | None = None


@dataclass(frozen=True)
class BatcherProps:
    """KServe's request batcher (a sidecar in front of the model server): up to ``max_batch_size`` requests,
    waiting at most ``max_latency_ms`` milliseconds for a batch to fill; ``timeout_s`` per request."""

    max_batch_size: int = 32
    max_latency_ms: int = 500
    timeout_s: int | None = None

    def to_manifest(self) -> dict[str, Any]:
        out: dict[str, Any] = {"maxBatchSize": self.max_batch_size, "maxLatency": self.max_latency_ms}
        if self.timeout_s is not None:
            out["timeout"] = self.timeout_s
        return out


@dataclass(frozen=True)
class LoggerProps:
    """KServe's request/response logger: CloudEvents posted to ``url``, an in-cluster sink such as
    ``http://message-dumper.models.svc.cluster.local`` (policy ``logger-sink-in-cluster``)."""

    url: str
    mode: str = "all"  # "all" | "request" | "response"

    def to_manifest(self) -> dict[str, Any]:
        if self.mode not in ("all", "request", "response"):
            from ..errors import SynthError

            raise SynthError(f"logger mode {self.mode!r} is not one of all, request, response")
        return {"mode": self.mode, "url": self.url}


@dataclass(frozen=True)
class PortProps:
    """The model server's one serving port. In Knative mode Knative allows a single port named ``h2c``
    (gRPC, HTTP/2) or ``http1``; KServe's runtimes use 8081 for gRPC and 8080 for REST."""

    container_port: int = 8081
    name: str = "h2c"

    def to_manifest(self) -> dict[str, Any]:
        return {"name": self.name, "containerPort": self.container_port, "protocol": "TCP"}


@dataclass(frozen=True)
class ArtExplainerProps:
    """KServe's built-in ART explainer (adversarial robustness): ``type`` e.g. ``SquareAttack``, with
    string settings in ``config`` (e.g. ``{"nb_classes": "10"}``). Exists in KServe v0.14 and v0.20."""

    type: str = "SquareAttack"
    config: dict[str, str] = field(default_factory=dict)
    resources: ResourcesProps | None = None

    def to_manifest(self) -> dict[str, Any]:
        art: dict[str, Any] = {"type": self.type}
        if self.config:
            art["config"] = {k: str(v) for k, v in self.config.items()}
        if self.resources:
            art["resources"] = self.resources.to_manifest()
        return {"art": art}


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
    batcher: BatcherProps | None = None
    logger: LoggerProps | None = None
    port: PortProps | None = None  # e.g. PortProps() with protocol_version="grpc-v2" for gRPC


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
    # a custom explainer container, or KServe's built-in ART explainer
    explainer: ContainerComponentProps | ArtExplainerProps | None = None
    serverless: bool = True  # Knative mode (formerly Serverless): Knative autoscaling annotations exist only there


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
                f"InferenceService {props.name}: Knative autoscaling annotations need Knative (Serverless) mode",
                hint="use min/max replicas and scale_metric/scale_target in Standard (RawDeployment) mode",
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
    if p.port:
        model["ports"] = [p.port.to_manifest()]

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
        if p.gpu.runtime_class_name:
            predictor["runtimeClassName"] = p.gpu.runtime_class_name
    if p.batcher:
        predictor["batcher"] = p.batcher.to_manifest()
    if p.logger:
        predictor["logger"] = p.logger.to_manifest()

    spec: dict[str, Any] = {"predictor": predictor}
    if props.transformer:
        spec["transformer"] = _container(props.transformer)
    if isinstance(props.explainer, ArtExplainerProps):
        spec["explainer"] = props.explainer.to_manifest()
    elif props.explainer:
        spec["explainer"] = _container(props.explainer)
    metadata: dict[str, Any] = {"name": props.name}
    if props.namespace:
        metadata["namespace"] = props.namespace
    if props.labels:
        metadata["labels"] = dict(props.labels)
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec}
