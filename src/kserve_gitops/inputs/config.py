"""``kserve-gitops.yaml``: the platform's environments, checked against the shipped JSON schema."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


from ..errors import ConfigError, UsageError
from . import modes
from .paths import display_path
from .yamlsrc import format_json_path, load_one, positions_for

CONFIG_FILE = "kserve-gitops.yaml"
CHARTS_ENV = "KSERVE_GITOPS_CHARTS"
DEFAULT_KUBERNETES_VERSION = "1.32"


@lru_cache(maxsize=1)
def config_schema() -> dict[str, Any]:
    # the schema file sits beside this module (importlib.resources costs more to import than this read)
    return json.loads(Path(__file__).with_name("config.schema.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Environment:
    """One environment (cluster) and everything synth and validate need to know about it."""

    name: str
    cluster_name: str
    cluster_server: str
    kserve_version: str
    # The mode under the name the environment's KServe release knows (Knative/Standard from v0.16,
    # Serverless/RawDeployment before); kserve-gitops.yaml may use either name.
    deployment_mode: str
    namespaces: tuple[str, ...]
    bucket: str
    region: str
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    storage_endpoint: str = ""
    allowed_buckets: tuple[str, ...] = ()
    ingress_domain: str = ""
    ingress_gateway: str = "knative-serving/knative-ingress-gateway"
    model_role_arn: str = ""
    service_account: str = "kserve-models"
    default_min_replicas: int | None = None
    default_max_replicas: int | None = None
    max_replicas: int | None = None
    default_resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_resources: dict[str, Any] = field(default_factory=dict)
    gpu_budget: int | None = None
    alerts: dict[str, Any] = field(default_factory=dict)
    require_image_digests: bool = False
    allowed_registries: tuple[str, ...] = ()
    image_digests: dict[str, str] = field(default_factory=dict)
    jwt: dict[str, str] | None = None
    automated_sync: bool = True
    argocd_project: str = ""
    # LocalModelNodeGroups that models annotated kserve-gitops.io/local-model-cache are cached on
    model_cache_node_groups: tuple[str, ...] = ()
    # ``llm``: LLMInferenceService settings (allowedConfigs, defaultReplicas, defaultResources, alerts)
    llm: dict[str, Any] = field(default_factory=dict)
    # security.mtls: Istio mTLS between model pods and their callers (default on; Standard mode gets sidecars)
    mtls: bool = True
    # install.render: KServe's charts rendered by `helm template` into charts/install/<env>/ (no Helm at sync)
    render_install: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def default_namespace(self) -> str:
        return self.namespaces[0]

    @property
    def serverless(self) -> bool:
        """Knative mode (``Knative``, formerly ``Serverless``): Knative revisions, Istio, scale to zero."""
        return modes.is_knative(self.deployment_mode)

    @property
    def mesh(self) -> bool:
        """Istio runs in the cluster: always in Knative mode (Knative routes through it), in Standard mode for
        mTLS (sidecars in the model namespaces)."""
        return self.serverless or self.mtls

    @property
    def canary_form(self) -> str | None:
        """``revision`` (canaryTrafficPercent), ``list`` (spec.canary) or ``None`` (cannot split traffic)."""
        return modes.canary_form(self.kserve_version, self.deployment_mode)

    def params(self) -> dict[str, Any]:
        """The environment's settings as policies see them in ``data.params``."""
        return {"name": self.name, **self.raw}


@dataclass(frozen=True)
class ArgoWorkflowsSettings:
    """``automation.argoWorkflows``: names only (image, ServiceAccount, Secret), never a credential."""

    enabled: bool = False
    image: str = ""
    namespace: str = "argo"
    service_account: str = ""
    git_credentials_secret: str = ""
    mlflow_tracking_uri: str = ""


@dataclass(frozen=True)
class PlatformConfig:
    path: Path
    project: str
    environments: dict[str, Environment]
    promotion_order: tuple[str, ...]
    repo_url: str = ""
    repo_revision: str = "main"
    argo_workflows: ArgoWorkflowsSettings = field(default_factory=ArgoWorkflowsSettings)
    # charts.kserve as written (relative to the file); see kserve_charts_dir
    kserve_charts: str = ""
    # kserveReleases: per KServe release, the image of each serving runtime and of the storage initializer
    release_images: dict[str, dict[str, str]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def kserve_charts_dir(self) -> Path | None:
        """KServe's chart folder (``<version>/<chart>/``): ``$KSERVE_GITOPS_CHARTS``, else ``charts.kserve``
        relative to kserve-gitops.yaml, else none (the Helm values cannot be checked, nothing is rendered)."""
        configured = os.environ.get(CHARTS_ENV) or self.kserve_charts
        if not configured:
            return None
        return (self.root / configured).resolve()

    def environment(self, name: str) -> Environment:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(self.environments)
            raise UsageError(f"unknown environment {name!r} (known: {known})", path=self.path) from None

    def select(self, names: list[str] | tuple[str, ...] | None) -> list[Environment]:
        if not names:
            return [self.environments[n] for n in self.promotion_order]
        return [self.environment(n) for n in names]


def load_config(path: str | Path) -> PlatformConfig:
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            "no kserve-gitops.yaml here",
            path=path,
            hint="run the command from the platform repository, pass --repo DIR, or create one with 'kserve-gitops init'",
        )
    name = display_path(path)
    data = load_one(name if not path.is_absolute() else path)
    if not isinstance(data, dict):
        raise ConfigError("the file must be a mapping of settings", path=name, line=1)
    _check_schema(data, name)

    environments: dict[str, Environment] = {}
    for env_name, env in data["environments"].items():
        environments[env_name] = _environment(env_name, env)

    order = tuple(data.get("promotionOrder") or environments)
    for i, env_name in enumerate(order):
        if env_name not in environments:
            line, col, _ = positions_for(str(path)).locate(0, ["promotionOrder", i])
            raise ConfigError(
                f"names environment {env_name!r}, which is not defined under 'environments'",
                path=name,
                line=line,
                column=col,
                field=f"promotionOrder[{i}]",
            )
    missing = [e for e in environments if e not in order]
    if missing:
        line, col, _ = positions_for(str(path)).locate(0, ["promotionOrder"])
        raise ConfigError(
            f"leaves out environment(s) {', '.join(missing)}",
            path=name,
            line=line,
            column=col,
            field="promotionOrder",
        )
    repo = data.get("repository") or {}
    argo = (data.get("automation") or {}).get("argoWorkflows") or {}
    return PlatformConfig(
        path=path,
        project=data["project"],
        environments=environments,
        promotion_order=order,
        repo_url=repo.get("url", ""),
        repo_revision=repo.get("revision", "main"),
        argo_workflows=ArgoWorkflowsSettings(
            enabled=bool(argo.get("enabled", False)),
            image=argo.get("image", ""),
            namespace=argo.get("namespace", "argo"),
            service_account=argo.get("serviceAccount", ""),
            git_credentials_secret=argo.get("gitCredentialsSecret", ""),
            mlflow_tracking_uri=argo.get("mlflowTrackingUri", ""),
        ),
        kserve_charts=(data.get("charts") or {}).get("kserve", ""),
        release_images={version: dict(release["images"]) for version, release in (data.get("kserveReleases") or {}).items()},
        raw=data,
    )


@lru_cache(maxsize=1)
def _fast_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(config_schema())


def _check_schema(data: dict[str, Any], name: str) -> None:
    # The fast path (jsonschema-rs) says whether the file is valid; only a file that is not pays for
    # python-jsonschema (~100 ms of imports), whose best_match picks the error worth reporting.
    if _fast_validator().is_valid(data):
        return
    import jsonschema

    validator = jsonschema.Draft202012Validator(config_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return
    err = jsonschema.exceptions.best_match(errors) or errors[0]
    parts = list(err.absolute_path)
    line, col, _ = positions_for(name).locate(0, parts)
    message = err.message
    if err.validator == "additionalProperties":
        message = f"{message} (see the schema shipped as kserve_gitops/inputs/config.schema.json)"
    raise ConfigError(
        message,
        path=name,
        line=line,
        column=col,
        field=format_json_path(parts) or "(top level)",
        hint=f"{len(errors) - 1} more problem(s) in this file" if len(errors) > 1 else None,
    )


def _environment(name: str, env: dict[str, Any]) -> Environment:
    cluster = env["cluster"]
    kserve = env["kserve"]
    storage = env["storage"]
    iam = env.get("iam") or {}
    limits = env.get("limits") or {}
    images = env.get("images") or {}
    argocd = env.get("argocd") or {}
    k8s = str(env.get("kubernetesVersion") or DEFAULT_KUBERNETES_VERSION).lstrip("v")
    return Environment(
        name=name,
        cluster_name=cluster["name"],
        cluster_server=cluster["server"],
        kserve_version=kserve["version"],
        deployment_mode=modes.name_for(kserve.get("deploymentMode", modes.DEFAULT_MODE), kserve["version"]),
        namespaces=tuple(env["namespaces"]),
        bucket=storage["bucket"],
        region=storage["region"],
        kubernetes_version=k8s,
        storage_endpoint=storage.get("endpoint", f"s3.{storage['region']}.amazonaws.com"),
        allowed_buckets=tuple(storage.get("allowedBuckets") or [storage["bucket"]]),
        ingress_domain=(env.get("ingress") or {}).get("domain", ""),
        ingress_gateway=(env.get("ingress") or {}).get("gateway", "knative-serving/knative-ingress-gateway"),
        model_role_arn=iam.get("modelRoleArn", ""),
        service_account=iam.get("serviceAccount", "kserve-models"),
        default_min_replicas=limits.get("defaultMinReplicas"),
        default_max_replicas=limits.get("defaultMaxReplicas"),
        max_replicas=limits.get("maxReplicas"),
        default_resources=limits.get("defaultResources") or {},
        max_resources=limits.get("maxResources") or {},
        gpu_budget=limits.get("gpuBudget"),
        alerts=env.get("alerts") or {},
        require_image_digests=bool(images.get("requireDigests", False)),
        allowed_registries=tuple(images.get("allowedRegistries") or ()),
        image_digests=dict(images.get("digests") or {}),
        jwt=(env.get("auth") or {}).get("jwt"),
        automated_sync=bool(argocd.get("automatedSync", True)),
        argocd_project=argocd.get("project", ""),
        model_cache_node_groups=tuple((env.get("localModelCache") or {}).get("nodeGroups") or ()),
        llm=dict(env.get("llm") or {}),
        mtls=bool((env.get("security") or {}).get("mtls", True)),
        render_install=bool((env.get("install") or {}).get("render", False)),
        raw=env,
    )
