"""The typed InferenceService construct produces the same object as the equivalent YAML."""

from __future__ import annotations

import pytest
import yaml

from kserve_gitops.constructs.inferenceservice import (
    AutoscalingProps,
    ContainerComponentProps,
    GpuProps,
    InferenceService,
    InferenceServiceProps,
    PredictorProps,
    ResourcesProps,
)
from kserve_gitops.errors import SynthError
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet
from conftest import SHARED_CRDS, synth_one

GPU_YAML = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llm-classifier
  namespace: models-dev
  labels: {team: nlp}
  annotations:
    autoscaling.knative.dev/window: 60s
spec:
  predictor:
    minReplicas: 1
    maxReplicas: 4
    scaleMetric: concurrency
    scaleTarget: 8
    serviceAccountName: kserve-models
    canaryTrafficPercent: 10
    nodeSelector: {node.kubernetes.io/instance-type: g5.xlarge}
    tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
    model:
      modelFormat: {name: huggingface}
      runtime: kserve-huggingfaceserver
      protocolVersion: v2
      storageUri: s3://acme-models-dev/hf/classifier/v3
      resources:
        requests: {cpu: "2", memory: 8Gi}
        limits: {cpu: "4", memory: 16Gi, nvidia.com/gpu: 1}
  transformer:
    containers:
      - name: kserve-container
        image: ghcr.io/acme/tokenizer:1.0.0
        args: [--model_name, llm-classifier]
        env:
          - {name: PREDICTOR_HOST, value: llm-classifier-predictor}
        resources:
          requests: {cpu: 100m}
  explainer:
    containers:
      - name: kserve-container
        image: ghcr.io/acme/explainer:0.3.0
"""

GPU_PROPS = InferenceServiceProps(
    name="llm-classifier",
    namespace="models-dev",
    labels={"team": "nlp"},
    predictor=PredictorProps(
        model_format="huggingface",
        runtime="kserve-huggingfaceserver",
        protocol_version="v2",
        storage_uri="s3://acme-models-dev/hf/classifier/v3",
        resources=ResourcesProps(requests={"cpu": "2", "memory": "8Gi"}, limits={"cpu": "4", "memory": "16Gi"}),
        service_account_name="kserve-models",
        autoscaling=AutoscalingProps(min_replicas=1, max_replicas=4, scale_metric="concurrency", scale_target=8, knative={"window": "60s"}),
        gpu=GpuProps(count=1, node_selector={"node.kubernetes.io/instance-type": "g5.xlarge"}),
        canary_traffic_percent=10,
    ),
    transformer=ContainerComponentProps(
        image="ghcr.io/acme/tokenizer:1.0.0",
        args=("--model_name", "llm-classifier"),
        env={"PREDICTOR_HOST": "llm-classifier-predictor"},
        resources=ResourcesProps(requests={"cpu": "100m"}),
    ),
    explainer=ContainerComponentProps(image="ghcr.io/acme/explainer:0.3.0"),
)


def test_typed_props_equal_the_yaml_path():
    from_yaml = synth_one(lambda s: InferenceService.from_manifest(s, yaml.safe_load(GPU_YAML)))
    from_props = synth_one(lambda s: InferenceService.from_props(s, GPU_PROPS))
    assert from_props == from_yaml
    assert from_props["spec"]["predictor"]["model"]["resources"]["limits"]["nvidia.com/gpu"] == 1


def test_minimal_props_equal_the_example_model(tmp_path):
    from conftest import REPO

    manifest = yaml.safe_load((REPO / "models/sklearn-iris/inferenceservice.yaml").read_text())
    props = InferenceServiceProps(
        name="sklearn-iris",
        labels={"team": "data-science", "owner": "iris-squad"},
        predictor=PredictorProps(
            model_format="sklearn",
            storage_uri="s3://acme-models-dev/sklearn/iris/v1",
            resources=ResourcesProps(requests={"cpu": "100m", "memory": "256Mi"}, limits={"cpu": "1", "memory": "1Gi"}),
        ),
    )
    assert synth_one(lambda s: InferenceService.from_props(s, props)) == synth_one(
        lambda s: InferenceService.from_manifest(s, manifest)
    )


@pytest.mark.parametrize("kserve_version", ["v0.14.1", "v0.20.0"])
def test_typed_object_is_schema_valid(kserve_version):
    obj = synth_one(lambda s: InferenceService.from_props(s, GPU_PROPS))
    schemas = SchemaSet(kubernetes_version="1.32", crd_files=CrdLibrary(roots=[SHARED_CRDS]).crd_files(kserve_version), strict=True)
    errors = list(schemas.validator_for(obj["apiVersion"], obj["kind"]).iter_errors(obj))
    assert errors == []


def test_knative_annotations_refused_in_raw_deployment():
    props = InferenceServiceProps(
        name="m",
        serverless=False,
        predictor=PredictorProps(model_format="sklearn", storage_uri="s3://b/m", autoscaling=AutoscalingProps(knative={"window": "60s"})),
    )
    with pytest.raises(SynthError, match="Serverless"):
        synth_one(lambda s: InferenceService.from_props(s, props))


def test_predictor_needs_a_format_or_runtime():
    props = InferenceServiceProps(name="m", predictor=PredictorProps(storage_uri="s3://b/m"))
    with pytest.raises(SynthError, match="model_format or a runtime"):
        synth_one(lambda s: InferenceService.from_props(s, props))
