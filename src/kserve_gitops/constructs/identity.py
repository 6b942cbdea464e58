"""Model namespaces and the identity models run with.

Per model namespace: the Namespace (Pod Security labels; ``istio-injection: enabled`` wherever the environment
runs Istio: Knative mode, whose data path goes through the mesh, and Standard mode with mTLS, where the sidecar
carries the model's mTLS), KServe's ``storage-config`` Secret describing the bucket (never
credentials: pods get them from the IAM role), the IRSA ServiceAccount that ``s3://`` models run as, and a
Role/RoleBinding that lets the ``model-deployers`` group manage InferenceServices there and nothing else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from constructs import Construct

from .kustomize import api_object

SYNC_WAVE = "argocd.argoproj.io/sync-wave"
# Namespaces and identity exist before runtimes (-1) and models (0).
IDENTITY_SYNC_WAVE = "-2"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kserve-gitops"}
STORAGE_SECRET = "storage-config"
DEPLOYER_ROLE = "inferenceservice-deployer"


@dataclass(frozen=True)
class IdentityProps:
    """What one model namespace needs, with the defaults the platform uses.

    ``pod_security`` is the Pod Security Standard level enforced: ``baseline`` by default, with ``restricted``
    audited and warned about. KServe's runtimes meet ``restricted`` but its storage-initializer and (in
    Knative mode) the queue-proxy and Istio sidecars are not guaranteed to; the sidecar meets ``baseline``
    only because the install uses the Istio CNI plugin instead of a privileged init container.
    """

    namespace: str
    serverless: bool
    bucket: str
    region: str
    endpoint: str
    service_account: str
    role_arn: str = ""
    deployers_group: str = "model-deployers"
    storage_key: str = "default"
    use_https: bool = True
    pod_security: str | None = None
    # Istio sidecar injection; None: Knative mode only (as before mTLS reached Standard mode)
    istio_injection: bool | None = None

    @property
    def injects_sidecars(self) -> bool:
        return self.serverless if self.istio_injection is None else self.istio_injection

    @property
    def enforce_level(self) -> str:
        return self.pod_security or "baseline"


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(MANAGED_BY), "annotations": {SYNC_WAVE: IDENTITY_SYNC_WAVE}}
    if namespace:
        meta["namespace"] = namespace
    for key, value in extra.items():
        meta[key] = {**meta.get(key, {}), **value}
    return meta


def namespace_manifest(props: IdentityProps) -> dict[str, Any]:
    labels = {
        "pod-security.kubernetes.io/enforce": props.enforce_level,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }
    if props.injects_sidecars:
        labels["istio-injection"] = "enabled"
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(props.namespace, labels=labels)}


def storage_config_manifest(props: IdentityProps) -> dict[str, Any]:
    """KServe's storage spec Secret: one key per storage, a JSON description of it. No keys, no secrets."""
    storage = {
        "type": "s3",
        "bucket": props.bucket,
        "region": props.region,
        "endpoint_url": f"{'https' if props.use_https else 'http'}://{props.endpoint}",
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(STORAGE_SECRET, props.namespace),
        "type": "Opaque",
        "stringData": {props.storage_key: json.dumps(storage, sort_keys=True)},
    }


def service_account_manifest(props: IdentityProps) -> dict[str, Any]:
    annotations = {
        "serving.kserve.io/s3-endpoint": props.endpoint,
        "serving.kserve.io/s3-region": props.region,
        "serving.kserve.io/s3-usehttps": "1" if props.use_https else "0",
        "serving.kserve.io/s3-verifyssl": "1",
        "serving.kserve.io/s3-useanoncredential": "false",
    }
    if props.role_arn:
        annotations["eks.amazonaws.com/role-arn"] = props.role_arn
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(props.service_account, props.namespace, annotations=annotations),
    }


def deployer_role_manifests(props: IdentityProps) -> list[dict[str, Any]]:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": _meta(DEPLOYER_ROLE, props.namespace),
        "rules": [
            {
                "apiGroups": ["serving.kserve.io"],
                "resources": ["inferenceservices"],
                "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
            },
            {"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices/status"], "verbs": ["get"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": _meta(DEPLOYER_ROLE, props.namespace),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": DEPLOYER_ROLE},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": props.deployers_group}],
    }
    return [role, binding]


class ModelNamespace(Construct):
    """Namespace, storage-config Secret, IRSA ServiceAccount and deployer RBAC of one model namespace."""

    def __init__(self, scope: Construct, id: str, *, props: IdentityProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.manifests = [
            namespace_manifest(props),
            storage_config_manifest(props),
            service_account_manifest(props),
            *deployer_role_manifests(props),
        ]
        for manifest in self.manifests:
            api_object(self, manifest, id=f"{manifest['kind']}-{manifest['metadata']['name']}")
