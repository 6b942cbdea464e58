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

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from constructs import Construct

from ..errors import SynthError
from ..inputs import modes
from .argocd import HelmChart, Application, ApplicationProps
from .identity import SYNC_WAVE
from .kustomize import KustomizeBase, api_object
from .runtimes import pin

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
RESOURCES_CHART_SINCE = (0, 16, 0)

ISTIO_INGRESS_NAMESPACE = "istio-system"
KSERVE_NAMESPACE = "kserve"


def kserve_charts(kserve_version: str) -> tuple[HelmChart, HelmChart]:
    """(kserve-crd, controller) charts of a KServe version."""
    controller = "kserve-resources" if modes.at_least(kserve_version, RESOURCES_CHART_SINCE) else "kserve"
    return (
        HelmChart(KSERVE_CHART_REPO, "kserve-crd", kserve_version),
        HelmChart(KSERVE_CHART_REPO, controller, kserve_version),
    )


def split_image(ref: str) -> tuple[str, str]:
    """(repository, tag) of ``repository:tag[@digest]``: Helm charts join them with ':' again, so a digest
    rides along in the tag ("v0.14.1@sha256:...")."""
    name, at, digest = ref.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon <= slash:
        raise SynthError(f"image {ref!r} has no tag", hint="write it as repository:tag")
    return name[:colon], name[colon + 1 :] + at + digest


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
    # kserveReleases.<kserve_version>.images.storage-initializer (repository:tag)
    storage_initializer: str
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
    # KServe's chart folder (<version>/<chart>/): our Helm values are checked against it when set
    charts_dir: str = ""
    # install.render: KServe comes rendered in the environment's overlay, not from Helm Applications
    render: bool = False

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
    storage_image, storage_tag = split_image(
        pin(props.storage_initializer, props.image_digests, required=props.require_digests, environment=props.environment)
    )
    gateway: dict[str, Any] = {}
    if props.ingress_domain:
        gateway["domain"] = props.ingress_domain
    if props.serverless:
        gateway["ingressGateway"] = {"gateway": props.ingress_gateway, "className": "istio"}
    controller: dict[str, Any] = {"deploymentMode": props.deployment_mode}
    if gateway:
        controller["gateway"] = gateway
    storage: dict[str, Any] = {"image": storage_image, "tag": storage_tag}
    if props.s3_endpoint or props.s3_region:
        storage["s3"] = {"endpoint": props.s3_endpoint, "region": props.s3_region, "useHttps": "1", "verifySSL": "1"}
    # Only keys the chart has (check_values refuses others). Neither release's chart has a switch for its own
    # ClusterServingRuntimes (v0.14.1 always renders them, v0.20.0 moved them to kserve-runtime-configs):
    # install.render leaves them out, since charts/runtimes holds the platform's (pinned, digest-checked).
    return {"kserve": {"controller": controller, "storage": storage}}


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
    if props.charts_dir:
        check_values(kserve_values(props), props.charts_dir, props.kserve_version, controller_chart.chart)
    if props.render:
        return apps  # KServe itself is rendered into charts/install/<env>/kserve, synced with overlays/<env>
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


# --- KServe's charts at synth time: values checked against the chart, install.render ------------------
# Folders of a KServe release's charts/ (KServe's repo, hack/... publishes them as OCI charts of the same
# name; the v0.14.1 controller chart's folder is kserve-resources, its Chart.yaml name "kserve").
CHART_FOLDERS: dict[str, str] = {"kserve": "kserve-resources"}
# What install.render runs `helm template` on, in order: (release name, chart folder). The llmisvc charts
# exist from v0.20 on (LLMInferenceService); they render only where the chart folder has them.
RENDERED_CHARTS: tuple[tuple[str, str], ...] = (
    ("kserve-crd", "kserve-crd"),
    ("kserve", "kserve-resources"),
    ("kserve-llmisvc-crd", "kserve-llmisvc-crd"),
    ("kserve-llmisvc", "kserve-llmisvc-resources"),
)
LLMISVC_SINCE = (0, 20, 0)
INSTALL_LABEL = "kserve-gitops.io/install"  # rendered objects: which chart they came from (diff reads it)
# Cluster-scoped kinds a KServe chart renders; every other object goes into the KServe namespace.
CLUSTER_SCOPED = frozenset(
    {
        "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "ClusterServingRuntime", "ClusterStorageContainer", "Namespace", "ClusterIssuer", "PriorityClass",
        "IngressClass", "GatewayClass",
    }
)
# In the environment's Application: the install before identity (-2), runtimes (-1) and models (0).
RENDERED_CRD_WAVE = "-5"
RENDERED_WAVE = "-4"


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.lstrip("v").split(".") if x.isdigit())


def chart_path(charts_dir: str | Path, kserve_version: str, chart: str) -> Path:
    return Path(charts_dir) / kserve_version / CHART_FOLDERS.get(chart, chart)


def _leaf_paths(values: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key in sorted(values, key=str):
        value = values[key]
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            out += _leaf_paths(value, path)
        else:
            out.append(path)
    return out


def _in_values(defaults: Any, path: tuple[str, ...]) -> bool:
    node = defaults
    for part in path:
        if isinstance(node, dict) and node == {}:
            return True  # a map the chart leaves open (nodeSelector: {}): any key is the user's
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _in_schema(schema: Any, path: tuple[str, ...]) -> bool:
    node = schema
    for part in path:
        if not isinstance(node, dict):
            return False
        props = node.get("properties") or {}
        if part in props:
            node = props[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return False
    return True


def unknown_values(values: Mapping[str, Any], chart_dir: Path) -> list[str]:
    """The dotted keys of ``values`` that the chart at ``chart_dir`` has neither in values.yaml nor in
    values.schema.json (Helm ignores them without a word, so the cluster would silently get the default)."""
    import json

    import yaml

    defaults = yaml.safe_load((chart_dir / "values.yaml").read_text()) or {}
    schema_file = chart_dir / "values.schema.json"
    schema = json.loads(schema_file.read_text()) if schema_file.is_file() else None
    return [
        ".".join(path)
        for path in _leaf_paths(values)
        if not _in_values(defaults, path) and not (schema is not None and _in_schema(schema, path))
    ]


def check_values(values: Mapping[str, Any], charts_dir: str | Path, kserve_version: str, chart: str) -> None:
    """Refuse a value the chart does not have, naming the key and the chart."""
    where = chart_path(charts_dir, kserve_version, chart)
    if not (where / "values.yaml").is_file():
        raise SynthError(
            f"KServe chart {chart} {kserve_version} not found at {where}",
            field="charts.kserve",
            hint="point charts.kserve in kserve-gitops.yaml (or $KSERVE_GITOPS_CHARTS) at a folder laid out <version>/<chart>/",
        )
    unknown = unknown_values(values, where)
    if unknown:
        raise SynthError(
            f"Helm value {unknown[0]} is not a value of chart {chart} {kserve_version} ({where}/values.yaml)"
            + (f"; also {', '.join(unknown[1:])}" if len(unknown) > 1 else ""),
            field="kserve.version",
            hint="Helm ignores unknown keys silently: use a key of that chart's values.yaml",
        )


def render_charts(props: "InstallProps", charts_dir: str | Path, *, kubernetes_version: str = "") -> list[dict[str, Any]]:
    """`helm template` (offline, from the chart folder) of the environment's KServe install: the CRDs, the
    controller with the environment's values, and the llmisvc charts on v0.20+. Plain objects, in chart
    order, each labelled with its chart, namespaced into ``kserve``, with sync waves (CRDs first). The
    charts' own ClusterServingRuntimes are left out (charts/runtimes holds the platform's, pinned and
    checked), and an object a later chart repeats (the llmisvc charts carry shared objects) is kept once."""
    import tempfile

    from ..tools import find_tool

    helm = find_tool("helm", hint="run 'make tools' (builds the pinned helm v4 into .tools/bin)")
    charts = [c for c in RENDERED_CHARTS if "llmisvc" not in c[0] or _version_tuple(props.kserve_version) >= LLMISVC_SINCE]
    values_by_chart = {"kserve": kserve_values(props), "kserve-llmisvc": llmisvc_values(props)}
    objects: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    with tempfile.TemporaryDirectory(prefix="kserve-gitops-helm-") as tmp:
        for release, folder in charts:
            where = Path(charts_dir) / props.kserve_version / folder
            if not (where / "Chart.yaml").is_file():
                raise SynthError(
                    f"KServe chart {folder} {props.kserve_version} not found at {where}",
                    field="charts.kserve",
                    hint="point charts.kserve in kserve-gitops.yaml (or $KSERVE_GITOPS_CHARTS) at a folder laid out <version>/<chart>/",
                )
            values = values_by_chart.get(release, {})
            if values:
                check_values(values, charts_dir, props.kserve_version, folder)
            values_file = Path(tmp) / f"{release}.json"
            values_file.write_text(json.dumps(values, sort_keys=True))
            command = [helm, "template", release, str(where), "--namespace", KSERVE_NAMESPACE, "--values", str(values_file)]
            if kubernetes_version:
                command += ["--kube-version", kubernetes_version]
            for doc in _helm_template(command, where, values_file.read_text()):
                if not isinstance(doc, dict) or not doc.get("kind"):
                    continue
                kind = doc["kind"]
                if kind == "ClusterServingRuntime":
                    continue
                meta = doc.setdefault("metadata", {})
                if kind not in CLUSTER_SCOPED and not meta.get("namespace"):
                    meta["namespace"] = KSERVE_NAMESPACE
                key = (kind, meta.get("namespace", ""), meta.get("name", ""))
                if key in seen:
                    continue
                seen.add(key)
                meta["labels"] = {**(meta.get("labels") or {}), INSTALL_LABEL: release}
                meta["annotations"] = meta.get("annotations") or {}
                meta["annotations"][SYNC_WAVE] = RENDERED_CRD_WAVE if kind == "CustomResourceDefinition" else RENDERED_WAVE
                objects.append(doc)
    if not any(o["kind"] == "Namespace" and o["metadata"].get("name") == KSERVE_NAMESPACE for o in objects):
        objects.insert(
            0,
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": KSERVE_NAMESPACE,
                    "labels": {INSTALL_LABEL: "kserve"},
                    "annotations": {SYNC_WAVE: RENDERED_CRD_WAVE},
                },
            },
        )
    return objects


def _tree_digest(folder: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _helm_template(command: list[str], chart: Path, values: str) -> list[Any]:
    """`helm template`'s documents, cached by content (the helm binary, the chart's files, the values and the
    rest of the command) as JSON, so synth and synth --check neither run helm nor parse KServe's large CRDs
    again for an unchanged install. Off with KSERVE_GITOPS_NO_CACHE=1."""
    import hashlib
    import os

    import yaml

    from ..cachedir import NO_CACHE_ENV, JsonStore
    from ..tools import run_tool

    helm = Path(command[0])
    stat = helm.stat()
    stable = [part for part in command[2:] if not part.endswith(".json")]  # the values file's temp path
    key = hashlib.sha256(
        "\0".join([str(helm.resolve()), str(stat.st_size), str(stat.st_mtime_ns), _tree_digest(chart), values, *stable]).encode()
    ).hexdigest()
    store = JsonStore("helm", 1, keep=32)
    use_cache = not os.environ.get(NO_CACHE_ENV)
    cached = store.get(key) if use_cache else None
    if isinstance(cached, list):
        return cached  # a damaged entry is a miss: rendered again
    out = run_tool(command, timeout=300).stdout.decode()
    docs = [d for d in yaml.load_all(out, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) if d is not None]
    if use_cache:
        store.put(key, docs)
    return docs


def llmisvc_values(props: "InstallProps") -> dict[str, Any]:
    """The llmisvc controller beside kserve-resources: the shared objects (inferenceservice-config,
    certificate, storage container) come from kserve-resources, so this chart does not create them again."""
    return {"kserve": {"createSharedResources": False}}


class RenderedInstall(KustomizeBase):
    """The rendered KServe install of one environment (``charts/install/<env>/kserve``), synced by the
    environment's own Application (``overlays/<env>``), so validate and diff see every object.

    The objects are KServe's own, exactly as helm rendered them (plus our label, namespace and sync wave):
    they bypass cdk8s's object model, whose JSON patches cost seconds for KServe's large CRDs."""

    def __init__(self, scope: Construct, path: str, *, objects: list[dict[str, Any]]) -> None:
        super().__init__(scope, path)
        self.manifests = objects

    def to_json(self) -> list[Any]:  # noqa: D102 - read by synth's collect_files like any chart's objects
        return [json.loads(json.dumps(o)) for o in self.manifests]


def install_summary(
    old: Mapping[Any, dict[str, Any]], new: Mapping[Any, dict[str, Any]]
) -> tuple[list[str], set[Any]]:
    """``diff``'s line for a rendered KServe install: "kserve-controller image v0.14.1 → v0.20.0, 3 CRDs
    changed, 2 webhooks added"; and the keys it covered, which diff then leaves out of its other lines."""
    def install_keys(objects: Mapping[Any, dict[str, Any]]) -> set[Any]:
        return {k for k, o in objects.items() if INSTALL_LABEL in ((o.get("metadata") or {}).get("labels") or {})}

    a_keys, b_keys = install_keys(old), install_keys(new)
    handled = a_keys | b_keys
    if not handled:
        return [], set()
    parts: list[str] = []

    deployment_keys: dict[str, set[Any]] = {}

    def images(objects: Mapping[Any, dict[str, Any]], keys: set[Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for k in sorted(keys, key=str):
            o = objects[k]
            if o.get("kind") != "Deployment":
                continue
            for c in (((o.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []:
                if isinstance(c, dict) and c.get("name") == "manager":
                    name = o["metadata"]["name"].removesuffix("-manager")
                    out[name] = str(c.get("image", ""))
                    deployment_keys.setdefault(name, set()).add(k)
        return out

    before, after = images(old, a_keys), images(new, b_keys)
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        if a and b:
            ta, tb = a.rpartition(":")[2], b.rpartition(":")[2]
            parts.append(f"{name} image {ta} → {tb}" if a.rpartition(":")[0] == b.rpartition(":")[0] else f"{name} image {a} → {b}")
        else:
            parts.append(f"{name} {'added' if b else 'removed'}")

    def count(kind_test, keys_a, keys_b) -> tuple[int, int, int]:
        a = {k for k in keys_a if kind_test(old[k])}
        b = {k for k in keys_b if kind_test(new[k])}
        changed = sum(1 for k in a & b if old[k] != new[k])
        return len(b - a), changed, len(a - b)

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    added, changed, removed = count(lambda o: o.get("kind") == "CustomResourceDefinition", a_keys, b_keys)
    for n, verb in ((changed, "changed"), (added, "added"), (removed, "removed")):
        if n:
            parts.append(f"{plural(n, 'CRD')} {verb}")

    def webhooks(objects: Mapping[Any, dict[str, Any]], keys: set[Any]) -> set[tuple[str, str]]:
        return {
            (objects[k]["kind"], str(w.get("name")))
            for k in keys
            if objects[k].get("kind") in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
            for w in objects[k].get("webhooks") or []
            if isinstance(w, dict)
        }

    wa, wb = webhooks(old, a_keys), webhooks(new, b_keys)
    if wb - wa:
        parts.append(f"{plural(len(wb - wa), 'webhook')} added")
    if wa - wb:
        parts.append(f"{plural(len(wa - wb), 'webhook')} removed")
    covered = {k for k in handled if (old.get(k) or new.get(k) or {}).get("kind") in ("CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")}
    # a controller named by its image line above is not counted again
    covered |= {k for name in set(before) | set(after) if before.get(name) != after.get(name) for k in deployment_keys.get(name, ())}
    rest_added = len({k for k in b_keys - a_keys if k not in covered})
    rest_removed = len({k for k in a_keys - b_keys if k not in covered})
    rest_changed = sum(1 for k in (a_keys & b_keys) - covered if old[k] != new[k])
    rest = [f"{n} {verb}" for n, verb in ((rest_changed, "changed"), (rest_added, "added"), (rest_removed, "removed")) if n]
    if rest:
        parts.append(f"other install objects: {', '.join(rest)}")
    return ([f"KServe install: {', '.join(parts)}"] if parts else []), handled
