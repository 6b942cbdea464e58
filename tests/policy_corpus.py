"""Objects and environment settings for the policy tests: a compliant environment, and objects that break
every rule of the library at least once (so engine comparisons cover every rule)."""

from __future__ import annotations

import copy
from typing import Any

RESOURCES = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}

PARAMS: dict[str, Any] = {
    "name": "prod",
    "namespaces": ["models"],
    "cluster": {"name": "ml-prod", "server": "https://prod.k8s.example"},
    "kserve": {"version": "v0.20.0", "deploymentMode": "Serverless"},
    "storage": {"bucket": "models-prod", "region": "eu-west-1"},
    "limits": {"maxReplicas": 4, "maxResources": {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": 1}, "gpuBudget": 2},
    "images": {"requireDigests": True, "allowedRegistries": ["ghcr.io/acme"]},
    "argocd": {"project": "ml-models"},
}

DIGEST = "sha256:" + "0" * 64


def isvc(name: str = "iris", **predictor: Any) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "namespace": "models", "labels": {"owner": "o", "team": "t"}},
        "spec": {
            "predictor": {
                "minReplicas": 2,
                "maxReplicas": 3,
                "serviceAccountName": "kserve-models",
                "model": {"modelFormat": {"name": "sklearn"}, "storageUri": f"s3://models-prod/{name}", "resources": copy.deepcopy(RESOURCES)},
                **predictor,
            }
        },
    }


def platform_objects() -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "kserve-models", "namespace": "models", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/m"}},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny-all", "namespace": "models"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "apiVersion": "security.istio.io/v1",
            "kind": "PeerAuthentication",
            "metadata": {"name": "default", "namespace": "models"},
            "spec": {"mtls": {"mode": "STRICT"}},
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PrometheusRule",
            "metadata": {"name": "alerts", "namespace": "monitoring"},
            "spec": {"groups": [{"name": "g", "rules": [{"alert": "Down", "expr": 'up{namespace="models"} == 0'}]}]},
        },
    ]


def compliant_environment() -> list[dict[str, Any]]:
    return [*platform_objects(), isvc("iris"), isvc("wine")]


def violating_objects() -> list[dict[str, Any]]:
    """One or more objects per rule id of the library (see RULE_IDS)."""
    bad: list[dict[str, Any]] = []
    no_limits = isvc("no-limits")
    del no_limits["spec"]["predictor"]["model"]["resources"]["limits"]
    bad.append(no_limits)
    bad.append(isvc("too-big", model={"modelFormat": {"name": "sklearn"}, "storageUri": "s3://models-prod/x", "resources": {"requests": {"cpu": "8", "memory": "1Gi"}, "limits": {"cpu": "16", "memory": "64Gi"}}}))
    bad.append(isvc("other-bucket", model={"modelFormat": {"name": "sklearn"}, "storageUri": "s3://elsewhere/x", "resources": copy.deepcopy(RESOURCES)}))
    no_sa = isvc("no-sa")
    del no_sa["spec"]["predictor"]["serviceAccountName"]
    bad.append(no_sa)
    bad.append(isvc("scale-to-zero", minReplicas=0, maxReplicas=10))
    bad.append(isvc("raw-canary", canaryTrafficPercent=150) | {"metadata": {"name": "raw-canary", "namespace": "models", "labels": {"owner": "o", "team": "t"}, "annotations": {"serving.kserve.io/deploymentMode": "RawDeployment"}}})
    gpu = isvc("gpu")
    gpu["spec"]["predictor"]["model"]["resources"]["limits"]["nvidia.com/gpu"] = 1
    bad.append(gpu)
    unlabelled = isvc("unlabelled")
    unlabelled["metadata"]["labels"] = {}
    unlabelled["metadata"]["namespace"] = "models-uncovered"
    bad.append(unlabelled)
    transformer = isvc("custom")
    transformer["spec"]["transformer"] = {
        "containers": [
            {
                "name": "t",
                "image": "docker.io/someone/transformer:latest",
                "resources": copy.deepcopy(RESOURCES),
                "env": [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "X", "value": "AKIAABCDEFGHIJKLMNOP"}],
                "securityContext": {"privileged": True},
            }
        ],
        "volumes": [{"name": "h", "hostPath": {"path": "/var/run/docker.sock"}}],
    }
    bad.append(transformer)
    bad.append(isvc("external-logger", logger={"mode": "all", "url": "https://collector.example.com/ingest"}))
    bad.append(isvc("slow-batcher", batcher={"maxBatchSize": 0, "maxLatency": 20000}))
    bad.append(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "root", "namespace": "models"},
            "spec": {"template": {"spec": {"securityContext": {"runAsUser": 0}, "containers": [{"name": "c", "image": f"ghcr.io/acme/x@{DIGEST}", "securityContext": {"runAsNonRoot": True}}]}}},
        }
    )
    bad.append(
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "app", "namespace": "argocd"},
            "spec": {"project": "default", "destination": {"server": "https://elsewhere", "namespace": "models"}},
        }
    )
    return [*platform_objects(), *bad]


RULE_IDS = {
    "resources-required", "resources-max", "storage-uri-allowed", "s3-service-account", "image-tag", "image-registry",
    "image-digest", "prod-min-replicas", "replicas-max", "canary-traffic-range", "canary-mode", "gpu-scheduling",
    "gpu-budget", "namespace-default-deny", "namespace-mtls-strict", "alert-coverage", "env-secret-values",
    "run-as-non-root", "no-privileged", "no-host-path", "owner-labels", "argocd-project", "argocd-destination",
    "logger-sink-in-cluster", "batcher-bounds",
}
