"""KServe features (batcher, logger, explainer, local model cache, GPU scheduling, gRPC ports): the typed
construct path equals the YAML path, both are valid against each KServe version's CRD, and validate catches
what is easy to get wrong (checks KSV011/KSV012, policies logger-sink-in-cluster and
batcher-bounds) on the real example repo, through the real kustomize and the Rego engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kserve_gitops.constructs.inferenceservice import (
    ArtExplainerProps,
    BatcherProps,
    GpuProps,
    InferenceService,
    InferenceServiceProps,
    LoggerProps,
    PortProps,
    PredictorProps,
    ResourcesProps,
)
from kserve_gitops.constructs.modelcache import LocalModelCache, LocalModelCacheProps, has_local_model_cache
from kserve_gitops.errors import SynthError
from kserve_gitops.inputs.config import load_config
from kserve_gitops.results import LoadedObject
from kserve_gitops.synth.app import synth_repo
from kserve_gitops.validate.run import ValidateOptions, validate_objects, validate_repo
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet
from conftest import REPO, SHARED_CHARTS, SHARED_CRDS, synth_one

FEATURES_YAML = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ranker
  labels: {team: search}
spec:
  predictor:
    nodeSelector: {nvidia.com/gpu.product: NVIDIA-A10G}
    tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    runtimeClassName: nvidia
    batcher: {maxBatchSize: 16, maxLatency: 100}
    logger: {mode: all, url: http://message-dumper.logging.svc.cluster.local}
    model:
      modelFormat: {name: triton}
      protocolVersion: grpc-v2
      storageUri: s3://acme-models-dev/triton/ranker/v1
      resources:
        requests: {cpu: "1", memory: 4Gi}
        limits: {cpu: "2", memory: 8Gi, nvidia.com/gpu: 1}
      ports:
        - {name: h2c, containerPort: 8081, protocol: TCP}
  explainer:
    art:
      type: SquareAttack
      config: {nb_classes: "10"}
"""

FEATURES_PROPS = InferenceServiceProps(
    name="ranker",
    labels={"team": "search"},
    predictor=PredictorProps(
        model_format="triton",
        protocol_version="grpc-v2",
        storage_uri="s3://acme-models-dev/triton/ranker/v1",
        resources=ResourcesProps(requests={"cpu": "1", "memory": "4Gi"}, limits={"cpu": "2", "memory": "8Gi"}),
        gpu=GpuProps(count=1, node_selector={"nvidia.com/gpu.product": "NVIDIA-A10G"}, runtime_class_name="nvidia"),
        batcher=BatcherProps(max_batch_size=16, max_latency_ms=100),
        logger=LoggerProps(url="http://message-dumper.logging.svc.cluster.local"),
        port=PortProps(),
    ),
    explainer=ArtExplainerProps(config={"nb_classes": "10"}),
)


def test_feature_props_equal_the_yaml_path():
    from_yaml = synth_one(lambda s: InferenceService.from_manifest(s, yaml.safe_load(FEATURES_YAML)))
    from_props = synth_one(lambda s: InferenceService.from_props(s, FEATURES_PROPS))
    assert from_props == from_yaml


@pytest.mark.parametrize("kserve_version", ["v0.14.1", "v0.20.0"])
def test_feature_object_is_valid_against_both_crd_versions(kserve_version):
    obj = synth_one(lambda s: InferenceService.from_props(s, FEATURES_PROPS))
    schemas = SchemaSet(kubernetes_version="1.32", crd_files=CrdLibrary(roots=[SHARED_CRDS]).crd_files(kserve_version), strict=True)
    assert list(schemas.validator_for(obj["apiVersion"], obj["kind"]).iter_errors(obj)) == []


def test_logger_mode_is_checked_in_the_construct():
    props = InferenceServiceProps(
        name="m", predictor=PredictorProps(model_format="sklearn", storage_uri="s3://b/m", logger=LoggerProps(url="http://d", mode="some"))
    )
    with pytest.raises(SynthError, match="logger mode"):
        synth_one(lambda s: InferenceService.from_props(s, props))


# --- local model cache: only where the version's CRDs have it --------------------------------------------

CACHE = LocalModelCacheProps(name="ranker", source_model_uri="s3://acme-models-dev/triton/ranker/v1", model_size="4Gi", node_groups=("gpu-a10g",))


# A cluster with KServe v0.20.0's kserve-crd chart only: since v0.15 the cache CRDs are the separate
# kserve-localmodel-crd chart, so such a cluster has no LocalModelCache.
WITHOUT_CACHE_CRDS = sorted(p for p in (SHARED_CHARTS / "v0.20.0" / "kserve-crd" / "templates").glob("*.yaml") if "{{" not in p.read_text())
WITH_CHARTS = CrdLibrary(roots=[SHARED_CRDS], chart_dirs=[SHARED_CHARTS])


def test_cache_crd_presence_is_read_from_the_crds():
    assert has_local_model_cache(WITH_CHARTS.crd_files("v0.14.1"))  # v0.14.1's kserve-crd chart has it
    assert has_local_model_cache(WITH_CHARTS.crd_files("v0.20.0"))  # v0.20.0's kserve-localmodel-crd chart has it
    assert not has_local_model_cache(WITHOUT_CACHE_CRDS)


def test_cache_construct_refuses_a_version_without_the_crd():
    with pytest.raises(SynthError, match="no LocalModelCache CRD"):
        synth_one(lambda s: LocalModelCache(s, "c", props=CACHE, kserve_version="v0.20.0", crd_files=WITHOUT_CACHE_CRDS))
    obj = synth_one(lambda s: LocalModelCache(s, "c", props=CACHE, kserve_version="v0.20.0", crd_files=WITH_CHARTS.crd_files("v0.20.0")))
    schemas = SchemaSet(kubernetes_version="1.32", crd_files=WITH_CHARTS.crd_files("v0.20.0"), strict=True)
    assert list(schemas.validator_for(obj["apiVersion"], obj["kind"]).iter_errors(obj)) == []


def _validate_env(objects: list[dict], env_name: str, kserve_version: str | None = None):
    config = load_config(REPO / "kserve-gitops.yaml")
    env = config.environment(env_name)
    loaded = [LoadedObject(o, path="objects.yaml", doc_index=i, environment=env_name) for i, o in enumerate(objects)]
    options = ValidateOptions(policy_dirs=[REPO / "policies"], kserve_version=kserve_version)
    return validate_objects(loaded, env=env, options=options, library=WITH_CHARTS)


def _rules(result) -> set[str]:
    return {f.rule for f in result.findings}


NAMESPACE_CACHE = {
    "apiVersion": "serving.kserve.io/v1alpha1",
    "kind": "LocalModelNamespaceCache",
    "metadata": {"name": "ranker", "namespace": "models-prod"},
    "spec": {"sourceModelUri": "s3://acme-models-prod/triton/ranker/v1", "modelSize": "4Gi", "nodeGroups": ["gpu-a10g"]},
}


def test_cache_without_the_crd_is_reported():
    # LocalModelNamespaceCache came after v0.14.1: prod (v0.14.1) has no such CRD, staging (v0.20.0) has
    [finding] = [f for f in _validate_env([NAMESPACE_CACHE], "prod").findings if f.rule == "KSV011"]
    assert "KServe v0.14.1 has no LocalModelNamespaceCache CRD" in finding.message
    assert "KSV011" not in _rules(_validate_env([{**NAMESPACE_CACHE, "metadata": {"name": "ranker", "namespace": "models-staging"}}], "staging"))
    # the cluster-scoped LocalModelCache is in both releases
    cache = synth_one(lambda s: LocalModelCache(s, "c", props=CACHE, kserve_version="v0.14.1"))
    assert "KSV011" not in _rules(_validate_env([cache], "prod"))


# --- the example repo: each feature is used and validates; mistakes are caught ------------------------------


def _isvc(root: Path, name: str) -> dict:
    return yaml.safe_load((root / "models" / name / "inferenceservice.yaml").read_text())


def test_example_repo_uses_every_feature():
    assert _isvc(REPO, "fraud-detector")["spec"]["predictor"]["batcher"] == {"maxBatchSize": 32, "maxLatency": 50}
    assert _isvc(REPO, "churn-predictor")["spec"]["predictor"]["logger"]["url"] == "http://message-dumper"
    assert _isvc(REPO, "mnist-art")["spec"]["explainer"]["art"]["type"] == "SquareAttack"
    mlflow_models = [p.parent.name for p in (REPO / "models").glob("*/inferenceservice.yaml")
                     if "kserve-gitops.io/mlflow-model" in (yaml.safe_load(p.read_text())["metadata"].get("labels") or {})]
    assert mlflow_models


def _edit(root: Path, name: str, change) -> None:
    path = root / "models" / name / "inferenceservice.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _findings(root: Path, env: str) -> list:
    synth_repo(root)
    report = validate_repo(root, ValidateOptions(environments=[env]))
    return [f for e in report.environments for f in e.findings if f.severity == "error"]


def test_example_repo_validates(example_repo):
    assert _findings(example_repo, "staging") == []


def test_external_logger_sink_is_refused(example_repo):
    _edit(example_repo, "churn-predictor", lambda d: d["spec"]["predictor"]["logger"].update(url="https://collector.example.com/v1"))
    findings = _findings(example_repo, "dev")
    hits = [f for f in findings if f.rule == "logger-sink-in-cluster"]
    assert hits and hits[0].path.endswith("models/churn-predictor/inferenceservice.yaml")
    assert hits[0].json_path.endswith("logger.url")


def test_batcher_latency_above_the_environment_alert_is_refused(example_repo):
    # staging alerts at a p95 of 1 s: a batch that may wait 1.5 s breaches it by itself
    _edit(example_repo, "fraud-detector", lambda d: d["spec"]["predictor"]["batcher"].update(maxLatency=1500))
    assert {"batcher-bounds"} == {f.rule for f in _findings(example_repo, "staging")}


def test_grpc_port_named_http1_is_refused(example_repo):
    def grpc(doc):
        doc["spec"]["predictor"]["model"].update(protocolVersion="grpc-v2", ports=[{"name": "http1", "containerPort": 8081}])

    _edit(example_repo, "churn-predictor", grpc)
    assert "KSV012" in {f.rule for f in _findings(example_repo, "dev")}


def test_two_ports_in_serverless_are_refused(example_repo):
    def ports(doc):
        doc["spec"]["predictor"]["model"]["ports"] = [{"name": "h2c", "containerPort": 8081}, {"name": "http1", "containerPort": 8080}]

    _edit(example_repo, "fraud-detector", ports)
    assert "KSV012" in {f.rule for f in _findings(example_repo, "dev")}
