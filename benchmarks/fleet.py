"""Generate a synthetic platform repo: N models over E environments, a realistic mix of model kinds.

Used by the fleet benchmark and by tests (small N). Deterministic for a given (N, E, seed).
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent  # the example platform repo

KINDS = ("sklearn", "xgboost", "pytorch-canary", "transformer", "gpu")
VERSIONS = ("v0.20.0", "v0.20.0", "v0.14.1")


def environment(name: str, index: int, models: int = 0) -> dict:
    version = VERSIONS[index % len(VERSIONS)]
    raw = version == "v0.14.1"
    return {
        "cluster": {"name": f"ml-{name}", "server": f"https://{name}.k8s.example"},
        "kubernetesVersion": "1.32",
        "kserve": {"version": version, "deploymentMode": "RawDeployment" if raw else "Serverless"},
        "namespaces": [f"models-{name}"],
        "ingress": {"domain": f"{name}.ml.example"},
        "storage": {"bucket": f"models-{name}", "region": "eu-west-1"},
        "iam": {"modelRoleArn": f"arn:aws:iam::{100000000000 + index}:role/models-{name}", "serviceAccount": "kserve-models"},
        "limits": {
            "defaultMinReplicas": 2 if raw else 1,
            "defaultMaxReplicas": 4,
            "maxReplicas": 10,
            "maxResources": {"cpu": "16", "memory": "64Gi", "nvidia.com/gpu": 2},
            # every fifth model is a GPU model scaling to 4 replicas: a budget that fits the fleet
            "gpuBudget": max(1000, models),
        },
    }


def model(name: str, kind: str, rng: random.Random) -> dict:
    resources = {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "2Gi"}}
    fmt = {"sklearn": "sklearn", "xgboost": "xgboost", "pytorch-canary": "pytorch", "transformer": "pytorch", "gpu": "pytorch"}[kind]
    predictor: dict = {
        "model": {
            "modelFormat": {"name": fmt},
            "storageUri": f"s3://models-dev/{fmt}/{name}/v{rng.randint(1, 9)}",
            "resources": resources,
        }
    }
    if kind == "gpu":
        predictor["model"]["resources"] = {
            "requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
            "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
        }
        predictor["nodeSelector"] = {"nvidia.com/gpu.present": "true"}
        predictor["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    spec: dict = {"predictor": predictor}
    if kind == "transformer":
        spec["transformer"] = {
            "containers": [
                {
                    "name": "kserve-container",
                    "image": "ghcr.io/acme/transformer:1.0.0",
                    "env": [{"name": "PREDICTOR_HOST", "value": f"{name}-predictor"}],
                    "resources": resources,
                    "securityContext": {"runAsNonRoot": True, "allowPrivilegeEscalation": False},
                }
            ],
            "minReplicas": 2,
        }
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "labels": {"team": f"team-{rng.randint(1, 20)}", "owner": "bench"}},
        "spec": spec,
    }


def generate(root: Path, models: int, environments: int = 3, *, seed: int = 1) -> Path:
    rng = random.Random(seed)
    names = ["dev", "staging", "prod", "qa", "perf", "eu", "us"][:environments]
    config = {
        "apiVersion": "kserve-gitops.io/v1alpha1",
        "kind": "Platform",
        "project": "bench",
        "repository": {"url": "https://git.example/bench.git"},
        # the example repo's pinned runtime images, for the KServe releases the environments run
        "kserveReleases": yaml.safe_load((REPO / "kserve-gitops.yaml").read_text())["kserveReleases"],
        "environments": {name: environment(name, i, models) for i, name in enumerate(names)},
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "kserve-gitops.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    for i in range(models):
        kind = KINDS[i % len(KINDS)]
        name = f"{kind.split('-')[0]}-{i:05d}"
        folder = root / "models" / name
        folder.mkdir(parents=True, exist_ok=True)
        model_doc = model(name, kind, rng)
        (folder / "inferenceservice.yaml").write_text(yaml.safe_dump(model_doc, sort_keys=False))
        base_uri = model_doc["spec"]["predictor"]["model"]["storageUri"]
        for env in names[1:]:  # every environment reads its own bucket
            patch: dict = {"spec": {"predictor": {"model": {"storageUri": base_uri.replace("s3://models-dev/", f"s3://models-{env}/")}}}}
            version = config["environments"][env]["kserve"]["version"]
            if kind == "pytorch-canary" and version != "v0.14.1":
                # KServe's classic canary by revision: v0.20.0 takes the list-form spec.canary only in
                # Standard mode, and these environments run Knative (RawDeployment, v0.14.1 here, cannot canary).
                patch["spec"]["predictor"]["canaryTrafficPercent"] = 10
                patch["spec"]["predictor"]["model"]["storageUri"] = f"s3://models-{env}/pytorch/{name}/v2"
            (folder / f"{env}.yaml").write_text(yaml.safe_dump(patch, sort_keys=False))
    return root
