"""Installing KServe the GitOps way: one ArgoCD Application per upstream piece, from its Helm chart at a pinned
version, ordered by sync waves.

    wave 0  cert-manager                (KServe's webhooks need certificates)
    wave 1  istio-base                  Knative mode, or Standard mode with mTLS: Istio CRDs
    wave 2  istio-cni, istiod           the same: control plane (CNI so sidecars need no privileges)
    wave 3  istio-ingressgateway,       Knative mode only: the gateway Knative routes through,
            knative-operator            and the operator that installs Knative Serving
    wave 4  knative-serving             Knative mode only: the KnativeServing object (from charts/knative-serving/<env>)
    wave 5  kserve-crd                  server-side apply: the CRDs are too large for client-side apply
    wave 6  kserve                      controller; values from the environment
    wave 10 the environment's Application (ApplicationSet, see argocd.py): runtimes (wave -1), then models

A Standard (RawDeployment) environment gets no Knative; it gets Istio's control plane (no gateway) for the
sidecars that carry mTLS, unless it turns mTLS off (``security.mtls: false``). Values come from ``kserve-gitops.yaml``:
deployment mode (under the name the KServe release knows: Knative/Standard from v0.16), ingress domain and gateway, the storage initializer (image pinned like the runtimes) and the
S3 endpoint and region.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from constructs import Construct

from ..errors import SynthError
from ..inputs import modes
from .argocd import HelmChart, Application, ApplicationProps
from .kustomize import api_object
from .runtimes import pin, supported_version

# --- pinned upstream charts --------------------------------------------------------------------------
# cert-manager: Jetstack's chart repository. v1.17.x supports Kubernetes 1.29-1.33; crds.enabled installs CRDs.
CERT_MANAGER = HelmChart("https://charts.jetstack.io", "cert-manager", "v1.17.2")
# Istio: the project's chart repository; base (CRDs), cni, istiod and gateway share one version.
ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts"
ISTIO_VERSION = "1.24.3"
ISTIO_BASE = HelmChart(ISTIO_REPO, "base", ISTIO_VERSION)
ISTIO_CNI = HelmChart(ISTIO_REPO, "cni", ISTIO_VERSION)
ISTIOD = HelmChart(ISTIO_REPO, "istiod", ISTIO_VERSION)
ISTIO_GATEWAY = HelmChart(ISTIO_REPO, "gateway", ISTIO_VERSION)
# Knative has no Serving chart: its operator's chart is published at knative.github.io/operator and the
# operator installs Serving from a KnativeServing object of the same minor version.
KNATIVE_OPERATOR = HelmChart("https://knative.github.io/operator", "knative-operator", "v1.17.0")
KNATIVE_SERVING_VERSION = "1.17"
# KServe: OCI charts in ghcr.io/kserve/charts, versioned like KServe itself. The controller chart is
# "kserve" up to v0.15 and "kserve-resources" from v0.16 on.
KSERVE_CHART_REPO = "ghcr.io/kserve/charts"
KSERVE_CONTROLLER_CHART: dict[str, str] = {"v0.14.1": "kserve", "v0.20.0": "kserve-resources"}
STORAGE_INITIALIZER = "docker.io/kserve/storage-initializer"

ISTIO_INGRESS_NAMESPACE = "istio-system"
KSERVE_NAMESPACE = "kserve"


def kserve_charts(kserve_version: str) -> tuple[HelmChart, HelmChart]:
    """(kserve-crd, controller) charts of a KServe version."""
    supported_version(kserve_version)
    if kserve_version not in KSERVE_CONTROLLER_CHART:
        raise SynthError(f"no KServe Helm chart is pinned for {kserve_version}", field="kserve.version")
    return (
        HelmChart(KSERVE_CHART_REPO, "kserve-crd", kserve_version),
        HelmChart(KSERVE_CHART_REPO, KSERVE_CONTROLLER_CHART[kserve_version], kserve_version),
    )


@dataclass(frozen=True)
class InstallProps:
    """One environment's install. ``name_prefix`` names the Applications (``<prefix>-<piece>``)."""

    environment: str
    name_prefix: str
    project: str
    server: str
    kserve_version: str
    serverless: bool
    automated: bool
    repo_url: str
    revision: str
    ingress_domain: str = ""
    ingress_gateway: str = "knative-serving/knative-ingress-gateway"
    s3_endpoint: str = ""
    s3_region: str = ""
    image_digests: Mapping[str, str] | None = None
    require_digests: bool = False
    # Istio's control plane: None means Knative mode only
    mesh: bool | None = None

    @property
    def installs_istio(self) -> bool:
        return self.serverless if self.mesh is None else (self.mesh or self.serverless)

    @property
    def deployment_mode(self) -> str:
        """The chart's ``kserve.controller.deploymentMode``: Knative/Standard from KServe v0.16 (the
        release's own names), Serverless/RawDeployment before."""
        return modes.name_for(modes.KNATIVE if self.serverless else modes.STANDARD, self.kserve_version)


def knative_serving_base(env: str) -> str:
    return f"knative-serving/{env}"


def kserve_values(props: InstallProps) -> dict[str, Any]:
    # The chart joins image and tag with ':', so a digest rides along in the tag: "v0.14.1@sha256:...".
    storage_tag = pin(
        f"{STORAGE_INITIALIZER}:{props.kserve_version}",
        props.image_digests,
        required=props.require_digests,
        environment=props.environment,
    ).removeprefix(f"{STORAGE_INITIALIZER}:")
    gateway: dict[str, Any] = {}
    if props.ingress_domain:
        gateway["domain"] = props.ingress_domain
    if props.serverless:
        gateway["ingressGateway"] = {"gateway": props.ingress_gateway, "className": "istio"}
    controller: dict[str, Any] = {"deploymentMode": props.deployment_mode}
    if gateway:
        controller["gateway"] = gateway
    storage: dict[str, Any] = {"image": STORAGE_INITIALIZER, "tag": storage_tag}
    if props.s3_endpoint or props.s3_region:
        storage["s3"] = {"endpoint": props.s3_endpoint, "region": props.s3_region, "useHttps": "1", "verifySSL": "1"}
    # The platform's runtimes come from charts/runtimes (pinned, digest-checked), not from the chart.
    return {"kserve": {"controller": controller, "storage": storage, "servingruntime": {"enabled": False}}}


# cert-manager's cainjector writes caBundle into KServe's webhooks and the CRDs' conversion webhook; git never
# has it, so those fields must not make the Applications OutOfSync.
WEBHOOK_CA_BUNDLE_DIFFERENCES: list[dict[str, Any]] = [
    {
        "group": "admissionregistration.k8s.io",
        "kind": "MutatingWebhookConfiguration",
        "jqPathExpressions": [".webhooks[]?.clientConfig.caBundle"],
    },
    {
        "group": "admissionregistration.k8s.io",
        "kind": "ValidatingWebhookConfiguration",
        "jqPathExpressions": [".webhooks[]?.clientConfig.caBundle"],
    },
]
CRD_CA_BUNDLE_DIFFERENCES: list[dict[str, Any]] = [
    {
        "group": "apiextensions.k8s.io",
        "kind": "CustomResourceDefinition",
        "jqPathExpressions": [".spec.conversion.webhook.clientConfig.caBundle"],
    }
]


def install_applications(props: InstallProps) -> list[ApplicationProps]:
    crd_chart, controller_chart = kserve_charts(props.kserve_version)
    labels = {"kserve-gitops.io/environment": props.environment}

    def app(piece: str, namespace: str, wave: int, **kw: Any) -> ApplicationProps:
        return ApplicationProps(
            name=f"{props.name_prefix}-{piece}",
            project=props.project,
            server=props.server,
            namespace=namespace,
            wave=wave,
            automated=props.automated,
            labels=labels,
            **kw,
        )

    apps = [
        app(
            "cert-manager",
            "cert-manager",
            0,
            chart=CERT_MANAGER,
            values={"crds": {"enabled": True}},
            sync_options=("CreateNamespace=true", "ServerSideApply=true"),
        )
    ]
    if props.installs_istio:
        apps += [
            app(
                "istio-base",
                "istio-system",
                1,
                chart=ISTIO_BASE,
                values={"defaultRevision": "default"},
                sync_options=("CreateNamespace=true", "ServerSideApply=true"),
                ignore_differences=WEBHOOK_CA_BUNDLE_DIFFERENCES,
            ),
            app("istio-cni", "istio-system", 2, chart=ISTIO_CNI),
            app(
                "istiod",
                "istio-system",
                2,
                chart=ISTIOD,
                values={"pilot": {"cni": {"enabled": True}}},
                ignore_differences=WEBHOOK_CA_BUNDLE_DIFFERENCES,
            ),
        ]
    if props.serverless:
        apps += [
            app(
                "istio-ingressgateway",
                ISTIO_INGRESS_NAMESPACE,
                3,
                chart=ISTIO_GATEWAY,
                values={"labels": {"app": "istio-ingressgateway", "istio": "ingressgateway"}},
            ),
            app("knative-operator", "knative-operator", 3, chart=KNATIVE_OPERATOR),
            app(
                "knative-serving",
                "knative-serving",
                4,
                repo_url=props.repo_url,
                revision=props.revision,
                path=f"charts/{knative_serving_base(props.environment)}",
                sync_options=("CreateNamespace=true", "SkipDryRunOnMissingResource=true"),
            ),
        ]
    apps += [
        app(
            "kserve-crd",
            KSERVE_NAMESPACE,
            5,
            chart=crd_chart,
            sync_options=("CreateNamespace=true", "ServerSideApply=true"),
            ignore_differences=CRD_CA_BUNDLE_DIFFERENCES,
        ),
        app(
            "kserve",
            KSERVE_NAMESPACE,
            6,
            chart=controller_chart,
            values=kserve_values(props),
            sync_options=("CreateNamespace=true", "ServerSideApply=true"),
            ignore_differences=WEBHOOK_CA_BUNDLE_DIFFERENCES,
        ),
    ]
    return apps


class KServeInstall(Construct):
    """The install Applications of one environment (see the module docstring for the order)."""

    def __init__(self, scope: Construct, id: str, *, props: InstallProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.applications = [Application(self, p.name, props=p) for p in install_applications(props)]
        self.manifests = [a.manifest for a in self.applications]


def knative_serving_manifest(*, domain: str) -> dict[str, Any]:
    """The KnativeServing object the Knative Operator installs Serving from, set up the way KServe needs:
    Istio ingress, the environment's domain, and the pod-spec features KServe's predictors use."""
    config: dict[str, Any] = {
        "features": {
            "kubernetes.podspec-affinity": "enabled",
            "kubernetes.podspec-nodeselector": "enabled",
            "kubernetes.podspec-tolerations": "enabled",
            "kubernetes.podspec-fieldref": "enabled",
        }
    }
    if domain:
        config["domain"] = {domain: ""}
    return {
        "apiVersion": "operator.knative.dev/v1beta1",
        "kind": "KnativeServing",
        "metadata": {
            "name": "knative-serving",
            "namespace": "knative-serving",
            "labels": {"app.kubernetes.io/managed-by": "kserve-gitops"},
        },
        "spec": {"version": KNATIVE_SERVING_VERSION, "ingress": {"istio": {"enabled": True}}, "config": config},
    }


class KnativeServing(Construct):
    def __init__(self, scope: Construct, id: str, *, domain: str) -> None:
        super().__init__(scope, id)
        self.manifest = knative_serving_manifest(domain=domain)
        api_object(self, self.manifest, id="Resource")
