"""ArgoCD control-plane objects: the AppProject, the ApplicationSet that syncs ``overlays/<env>`` to each
environment's cluster, and the Application shape every other construct uses.

These live in the ArgoCD (hub) cluster's ``argocd`` namespace, not in an environment: they are synthesized to
``charts/argocd`` and combined in ``overlays/argocd``, which is applied once to bootstrap the hub
(``kubectl apply -k overlays/argocd`` or an Application pointing at it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from constructs import Construct

from .kustomize import api_object

API_VERSION = "argoproj.io/v1alpha1"
ARGOCD_NAMESPACE = "argocd"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kserve-gitops"}

# Retry transient failures (a CRD not yet established, a webhook not yet serving) with backoff rather than
# leaving a sync failed: the install is a chain of Applications that become ready one after another.
RETRY: dict[str, Any] = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}}

# KServe's mutating webhook fills in defaults on InferenceServices (resources of custom containers in the
# predictor, transformer and explainer lists). Fields inside list items are compared item by item, so without
# this ArgoCD reports every model with a custom container as OutOfSync forever.
INFERENCESERVICE_IGNORE_DIFFERENCES: list[dict[str, Any]] = [
    {
        "group": "serving.kserve.io",
        "kind": "InferenceService",
        "jqPathExpressions": [
            ".spec.predictor.containers[]?.resources",
            ".spec.transformer.containers[]?.resources",
            ".spec.explainer.containers[]?.resources",
        ],
    }
]
# Server-side diff leaves out what mutating webhooks add (IncludeMutationWebhook=false is the default).
COMPARE_OPTIONS = {"argocd.argoproj.io/compare-options": "ServerSideDiff=true"}


def sync_policy(*, automated: bool, options: Sequence[str] = ()) -> dict[str, Any]:
    policy: dict[str, Any] = {"retry": RETRY}
    if automated:
        policy["automated"] = {"prune": True, "selfHeal": True}
    if options:
        policy["syncOptions"] = list(options)
    return policy


@dataclass(frozen=True)
class HelmChart:
    """A pinned upstream chart. ``repo_url`` is what ArgoCD's ``repoURL`` takes (OCI registries without the
    ``oci://`` scheme)."""

    repo_url: str
    chart: str
    version: str


@dataclass
class ApplicationProps:
    """One Application. ``wave`` orders it among its siblings (lower first); ``automated`` turns on sync with
    prune and self-heal; ``sync_options`` e.g. ``ServerSideApply=true`` for CRD charts."""

    name: str
    project: str
    server: str
    namespace: str
    wave: int
    automated: bool
    chart: HelmChart | None = None
    values: Mapping[str, Any] | None = None
    repo_url: str = ""
    revision: str = ""
    path: str = ""
    sync_options: Sequence[str] = ("CreateNamespace=true",)
    ignore_differences: Sequence[Mapping[str, Any]] = ()
    labels: Mapping[str, str] = field(default_factory=dict)


def application_manifest(props: ApplicationProps) -> dict[str, Any]:
    if props.chart:
        source: dict[str, Any] = {
            "repoURL": props.chart.repo_url,
            "chart": props.chart.chart,
            "targetRevision": props.chart.version,
        }
        helm: dict[str, Any] = {"releaseName": props.chart.chart}
        if props.values:
            helm["valuesObject"] = dict(props.values)
        source["helm"] = helm
    else:
        source = {"repoURL": props.repo_url, "targetRevision": props.revision, "path": props.path}
    spec: dict[str, Any] = {
        "project": props.project,
        "source": source,
        "destination": {"server": props.server, "namespace": props.namespace},
        "syncPolicy": sync_policy(automated=props.automated, options=props.sync_options),
    }
    if props.ignore_differences:
        spec["ignoreDifferences"] = [dict(d) for d in props.ignore_differences]
    return {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": props.name,
            "namespace": ARGOCD_NAMESPACE,
            "labels": {**MANAGED_BY, **props.labels},
            "annotations": {SYNC_WAVE: str(props.wave)},
        },
        "spec": spec,
    }


class Application(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ApplicationProps) -> None:
        super().__init__(scope, id)
        self.manifest = application_manifest(props)
        api_object(self, self.manifest, id="Resource")


# --- AppProject --------------------------------------------------------------------------------------


# Cluster-scoped kinds the platform's Applications may create: CRDs and webhooks of the charts, their
# cluster RBAC, model namespaces and KServe's cluster-wide runtimes. Anything else cluster-scoped is refused.
CLUSTER_RESOURCES: tuple[tuple[str, str], ...] = (
    ("", "Namespace"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("cert-manager.io", "ClusterIssuer"),
    ("serving.kserve.io", "ClusterServingRuntime"),
    ("serving.kserve.io", "ClusterStorageContainer"),
)
# Namespaced kinds the platform team owns outside git: quotas and limit ranges are set by cluster admins.
NAMESPACE_BLACKLIST: tuple[tuple[str, str], ...] = (("", "ResourceQuota"), ("", "LimitRange"))


@dataclass
class ProjectProps:
    name: str
    source_repos: Sequence[str]
    destinations: Sequence[tuple[str, str]]  # (server, namespace)
    description: str = ""


def app_project_manifest(props: ProjectProps) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {
            "name": props.name,
            "namespace": ARGOCD_NAMESPACE,
            "labels": dict(MANAGED_BY),
            "annotations": {SYNC_WAVE: "-1"},
        },
        "spec": {
            "description": props.description,
            "sourceRepos": sorted(set(props.source_repos)),
            "destinations": [
                {"server": server, "namespace": namespace} for server, namespace in sorted(set(props.destinations))
            ],
            "clusterResourceWhitelist": [{"group": g, "kind": k} for g, k in CLUSTER_RESOURCES],
            "namespaceResourceBlacklist": [{"group": g, "kind": k} for g, k in NAMESPACE_BLACKLIST],
            "orphanedResources": {"warn": True},
        },
    }


class AppProject(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ProjectProps) -> None:
        super().__init__(scope, id)
        self.manifest = app_project_manifest(props)
        api_object(self, self.manifest, id="Resource")


# --- ApplicationSet ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnvironmentElement:
    """One list-generator element: an environment and its cluster."""

    env: str
    cluster: str
    server: str
    project: str
    automated_sync: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "cluster": self.cluster,
            "server": self.server,
            "project": self.project,
            "automatedSync": self.automated_sync,
        }


@dataclass
class ApplicationSetProps:
    """``name`` of the set; ``prefix`` of each generated Application (``<prefix>-<env>``); ``repo_url`` and
    ``revision`` where ``overlays/<env>`` is read; ``wave``: after the install Applications."""

    name: str
    prefix: str
    repo_url: str
    revision: str
    elements: Sequence[EnvironmentElement]
    wave: int = 10


# Go template: only environments whose automatedSync is true get automated sync (prune + self-heal); every
# Application says which mode it is in, so the patch is never empty and the mode shows in ArgoCD's UI.
_AUTOMATED_PATCH = """metadata:
  annotations:
    kserve-gitops.io/sync-mode: '{{ if .automatedSync }}automated{{ else }}manual{{ end }}'
{{- if .automatedSync }}
spec:
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
{{- end }}
"""


def application_set_manifest(props: ApplicationSetProps) -> dict[str, Any]:
    template = {
        "metadata": {
            "name": f"{props.prefix}-{{{{.env}}}}",
            "namespace": ARGOCD_NAMESPACE,
            "labels": {**MANAGED_BY, "kserve-gitops.io/environment": "{{.env}}"},
            "annotations": {**COMPARE_OPTIONS},
        },
        "spec": {
            "project": "{{.project}}",
            "source": {"repoURL": props.repo_url, "targetRevision": props.revision, "path": "overlays/{{.env}}"},
            "destination": {"server": "{{.server}}"},
            "syncPolicy": sync_policy(automated=False, options=("ServerSideApply=true",)),
            "ignoreDifferences": INFERENCESERVICE_IGNORE_DIFFERENCES,
        },
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "ApplicationSet",
        "metadata": {
            "name": props.name,
            "namespace": ARGOCD_NAMESPACE,
            "labels": dict(MANAGED_BY),
            "annotations": {SYNC_WAVE: str(props.wave)},
        },
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": [e.to_json() for e in props.elements]}}],
            "template": template,
            "templatePatch": _AUTOMATED_PATCH,
            # Removing an environment from kserve-gitops.yaml (or this set) deletes its Application but leaves
            # the models in that cluster serving: taking production down is never a side effect of a config edit.
            "syncPolicy": {"preserveResourcesOnDeletion": True},
        },
    }


class EnvironmentsApplicationSet(Construct):
    def __init__(self, scope: Construct, id: str, *, props: ApplicationSetProps) -> None:
        super().__init__(scope, id)
        self.manifest = application_set_manifest(props)
        api_object(self, self.manifest, id="Resource")
