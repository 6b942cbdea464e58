"""ClusterServingRuntimes, one set per KServe version.

The runtimes below are our own data, written by reading KServe's release artifacts (for v0.20.0
``install/v0.20.0/kserve-cluster-resources.yaml``, for v0.14.1 that release's ``config/runtimes``). It is not
upstream YAML: only the facts a runtime needs (formats, protocols, ports, resources) are kept, and every runtime
is rendered by one function so they all look alike.

Images are not here: ``kserveReleases.<version>.images`` of ``kserve-gitops.yaml`` pins each runtime's image
per KServe release, so moving to a new release is a change to the platform repo, not to kserve-gitops. An
environment with ``images.requireDigests: true`` must also give a digest for every image it uses in
``images.digests`` (the platform team reads them from its registry mirror); a missing one fails synth,
because a tag is not an immutable pin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from constructs import Construct

from ..errors import SynthError
from .kustomize import api_object

API_VERSION = "serving.kserve.io/v1alpha1"
KIND = "ClusterServingRuntime"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# Runtimes must exist before the models that select them (models are in wave 0).
RUNTIME_SYNC_WAVE = "-1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kserve-gitops"}

_RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "runAsNonRoot": True,
}
_DEFAULT_RESOURCES = {"limits": {"cpu": "1", "memory": "2Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}}
_STANDARD_ARGS = ("--model_name={{.Name}}", "--model_dir=/mnt/models", "--http_port=8080")


@dataclass(frozen=True)
class ModelFormat:
    name: str
    version: str
    auto_select: bool = True
    priority: int | None = 1

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.auto_select:
            out["autoSelect"] = True
        if self.priority is not None:
            out["priority"] = self.priority
        return out


@dataclass(frozen=True)
class Runtime:
    """One serving runtime; its image comes from ``kserveReleases`` (see ``release_image``)."""

    name: str
    server_type: str
    formats: tuple[ModelFormat, ...]
    protocols: tuple[str, ...]
    args: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    http_port: int = 8080
    metrics_port: int = 8080
    run_as_user: int | None = None
    shared_memory: bool = False
    resources: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: _DEFAULT_RESOURCES)


# The runtimes the platform installs (KServe's names, so InferenceServices that name a runtime keep working).
RUNTIMES: tuple[Runtime, ...] = (
    Runtime(
        name="kserve-sklearnserver",
        server_type="sklearnserver",
        formats=(ModelFormat("sklearn", "1"),),
        protocols=("v1", "v2"),
        args=_STANDARD_ARGS,
    ),
    Runtime(
        name="kserve-xgbserver",
        server_type="xgbserver",
        formats=(ModelFormat("xgboost", "2"),),
        protocols=("v1", "v2"),
        args=(*_STANDARD_ARGS, "--nthread=1"),
    ),
    Runtime(
        name="kserve-lgbserver",
        server_type="lgbserver",
        formats=(ModelFormat("lightgbm", "4"),),
        protocols=("v1", "v2"),
        args=(*_STANDARD_ARGS, "--nthread=1"),
    ),
    Runtime(
        name="kserve-torchserve",
        server_type="torchserve",
        formats=(ModelFormat("pytorch", "1", priority=2),),
        protocols=("v1", "v2", "grpc-v2"),
        args=(
            "torchserve",
            "--start",
            "--model-store=/mnt/models/model-store",
            "--ts-config=/mnt/models/config/config.properties",
        ),
        env=(("TS_SERVICE_ENVELOPE", "{{.Labels.serviceEnvelope}}"),),
        metrics_port=8082,
        run_as_user=1000,
    ),
    Runtime(
        name="kserve-tensorflow-serving",
        server_type="tensorflow-serving",
        formats=(ModelFormat("tensorflow", "1", priority=2), ModelFormat("tensorflow", "2", priority=2)),
        protocols=("v1", "grpc-v1"),
        command=("/usr/bin/tensorflow_model_server",),
        args=(
            "--model_name={{.Name}}",
            "--port=9000",
            "--rest_api_port=8080",
            "--model_base_path=/mnt/models",
            "--rest_api_timeout_in_ms=60000",
        ),
        run_as_user=1000,
    ),
    Runtime(
        name="kserve-tritonserver",
        server_type="tritonserver",
        formats=(
            ModelFormat("tensorrt", "8"),
            ModelFormat("tensorflow", "1"),
            ModelFormat("tensorflow", "2"),
            ModelFormat("onnx", "1"),
            ModelFormat("pytorch", "1", auto_select=False, priority=None),
            ModelFormat("triton", "2"),
        ),
        protocols=("v2", "grpc-v2"),
        args=(
            "tritonserver",
            "--model-store=/mnt/models",
            "--grpc-port=9000",
            "--http-port=8080",
            "--allow-grpc=true",
            "--allow-http=true",
        ),
        metrics_port=8002,
        run_as_user=1000,
    ),
    Runtime(
        name="kserve-mlserver",
        server_type="mlserver",
        formats=(
            ModelFormat("sklearn", "0", priority=2),
            ModelFormat("sklearn", "1", priority=2),
            ModelFormat("xgboost", "1", priority=2),
            ModelFormat("xgboost", "2", priority=2),
            ModelFormat("lightgbm", "3", priority=2),
            ModelFormat("lightgbm", "4", priority=2),
            ModelFormat("mlflow", "1"),
            ModelFormat("mlflow", "2"),
        ),
        protocols=("v2",),
        env=(
            ("MLSERVER_MODEL_IMPLEMENTATION", "{{.Labels.modelClass}}"),
            ("MLSERVER_HTTP_PORT", "8080"),
            ("MLSERVER_GRPC_PORT", "9000"),
        ),
    ),
    Runtime(
        name="kserve-huggingfaceserver",
        server_type="huggingfaceserver",
        formats=(ModelFormat("huggingface", "1"),),
        protocols=("v2", "v1"),
        args=("--model_name={{.Name}}",),
        shared_memory=True,
    ),
)


STORAGE_INITIALIZER = "storage-initializer"  # the image name under kserveReleases.<version>.images


def release_image(images: Mapping[str, str], name: str, kserve_version: str) -> str:
    """The image ``kserveReleases.<kserve_version>.images.<name>`` pins."""
    image = images.get(name)
    if not image:
        raise SynthError(
            f"kserveReleases.{kserve_version}.images has no image for {name}",
            field=f"kserveReleases.{kserve_version}.images.{name}",
            hint=f"add '{name}: <repository>:<tag>' with the image KServe {kserve_version} installs for it",
        )
    return image


def runtime_images(images: Mapping[str, str], kserve_version: str, runtimes: tuple[Runtime, ...] = RUNTIMES) -> list[str]:
    """Every image reference the runtimes of this KServe release use."""
    return sorted({release_image(images, r.name, kserve_version) for r in runtimes})


def pin(image_ref: str, digests: Mapping[str, str] | None, *, required: bool, environment: str = "") -> str:
    """``image_ref`` with its digest appended when one is known; a required but missing digest fails synth.
    A reference written with its digest (``repository:tag@sha256:...``) is pinned already."""
    if "@sha256:" in image_ref:
        return image_ref
    digest = (digests or {}).get(image_ref)
    if digest:
        return f"{image_ref}@{digest}"
    if required:
        where = f"environment {environment!r}" if environment else "this environment"
        raise SynthError(
            f"{where} requires image digests, but none is given for {image_ref}",
            field=f"environments.{environment}.images.digests" if environment else "images.digests",
            hint=f"add '{image_ref}: sha256:<digest>' under images.digests (e.g. from 'crane digest {image_ref}')",
        )
    return image_ref


def runtime_manifest(runtime: Runtime, kserve_version: str, *, image: str) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "kserve-container",
        "image": image,
        "ports": [{"containerPort": runtime.http_port, "protocol": "TCP"}],
        "resources": {k: dict(v) for k, v in runtime.resources.items()},
        "securityContext": {**_RESTRICTED, **({"runAsUser": runtime.run_as_user} if runtime.run_as_user else {})},
    }
    if runtime.command:
        container["command"] = list(runtime.command)
    if runtime.args:
        container["args"] = list(runtime.args)
    if runtime.env:
        container["env"] = [{"name": k, "value": v} for k, v in runtime.env]
    spec: dict[str, Any] = {
        "annotations": {"prometheus.kserve.io/path": "/metrics", "prometheus.kserve.io/port": str(runtime.metrics_port)},
        "supportedModelFormats": [f.to_json() for f in runtime.formats],
        "protocolVersions": list(runtime.protocols),
        "containers": [container],
    }
    if runtime.shared_memory:
        # Hugging Face servers need a RAM-backed /dev/shm for tokenizer and torch worker processes.
        container["volumeMounts"] = [{"name": "devshm", "mountPath": "/dev/shm"}]
        spec["volumes"] = [{"name": "devshm", "emptyDir": {"medium": "Memory"}}]
        spec["hostIPC"] = False
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": runtime.name,
            "labels": {**MANAGED_BY, "kserve-gitops.io/kserve-version": kserve_version},
            "annotations": {SYNC_WAVE: RUNTIME_SYNC_WAVE, "serving.kserve.io/server-type": runtime.server_type},
        },
        "spec": spec,
    }


class ServingRuntimes(Construct):
    """All of the platform's ClusterServingRuntimes for one KServe version.

    Props: ``images`` is ``kserveReleases.<kserve_version>.images``; ``digests`` maps ``repository:tag`` to
    ``sha256:...``; ``require_digests`` makes a missing digest an error (default: tags are enough).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        kserve_version: str,
        images: Mapping[str, str],
        digests: Mapping[str, str] | None = None,
        require_digests: bool = False,
        environment: str = "",
        runtimes: tuple[Runtime, ...] = RUNTIMES,
    ) -> None:
        super().__init__(scope, id)
        self.manifests: list[dict[str, Any]] = []
        for runtime in runtimes:
            image = pin(release_image(images, runtime.name, kserve_version), digests, required=require_digests, environment=environment)
            manifest = runtime_manifest(runtime, kserve_version, image=image)
            api_object(self, manifest, id=runtime.name)
            self.manifests.append(manifest)
