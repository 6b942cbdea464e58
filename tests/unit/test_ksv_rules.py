"""KSV001-KSV007, one table per rule: a snippet as a data scientist (or a rendered overlay) has it, and the
exact findings of the rule's check (rule, severity, line, column, JSON path). Each rule has cases that
fire, one per branch of its code, and near-misses that must stay silent."""

from __future__ import annotations

import pytest
from ksv_table import Expect, assert_case, case

from kserve_gitops.results import WARNING
from kserve_gitops.validate.checks import kserve

# --- KSV001: a predictor no runtime serves ---------------------------------------------------------------

SKLEARN_RUNTIME = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-sklearnserver
spec:
  protocolVersions: [v1, v2]
  supportedModelFormats:
    - name: sklearn
      version: "1"
      autoSelect: true
  containers:
    - name: kserve-container
      image: kserve/sklearnserver:v0.20.0
"""

XGBOOST_ANY_PROTOCOL = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: any-protocol
spec:
  supportedModelFormats:
    - {name: xgboost, autoSelect: true}
  containers:
    - {name: kserve-container, image: kserve/xgbserver:v0.20.0}
"""

TRITON_NOT_AUTO = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-tritonserver
spec:
  protocolVersions: [v2, grpc-v2]
  supportedModelFormats:
    - {name: onnx, version: "1"}
  containers:
    - {name: kserve-container, image: nvcr.io/nvidia/tritonserver:23.05-py3}
"""

DISABLED_SKLEARN = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-sklearnserver
spec:
  disabled: true
  supportedModelFormats:
    - {name: sklearn, autoSelect: true}
  containers:
    - {name: kserve-container, image: kserve/sklearnserver:v0.20.0}
"""

MULTI_MODEL = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: mlserver-mms
spec:
  multiModel: true
  supportedModelFormats:
    - {name: sklearn, autoSelect: true}
  containers:
    - {name: kserve-container, image: seldonio/mlserver:1.7.1}
"""

TRITON_AUTO = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-tritonserver
spec:
  protocolVersions: [v2, grpc-v2]
  supportedModelFormats:
    - {name: onnx, version: "1", autoSelect: true}
    - {name: triton, version: "2", autoSelect: true}
  containers:
    - {name: kserve-container, image: nvcr.io/nvidia/tritonserver:23.05-py3}
"""

VLLM_V2_ONLY = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: vllm-openai
spec:
  protocolVersions: [v2]
  supportedModelFormats:
    - {name: vLLM, autoSelect: true}
  containers:
    - {name: kserve-container, image: vllm/vllm-openai:v0.8.5}
"""

TORCHSERVE_OPEN_INFERENCE = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-torchserve
spec:
  protocolVersions: [v2, grpc-v2]
  supportedModelFormats:
    - {name: pytorch, version: "1"}
  containers:
    - {name: kserve-container, image: pytorch/torchserve-kfs:0.9.0}
"""

HUGGINGFACE_MULTI_NODE = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: huggingface-multinode
spec:
  protocolVersions: [v2]
  supportedModelFormats:
    - {name: huggingface, autoSelect: true}
  containers:
    - {name: kserve-container, image: kserve/huggingfaceserver:v0.20.0}
  workerSpec:
    containers:
      - {name: worker-container, image: kserve/huggingfaceserver:v0.20.0}
"""

HUGGINGFACE_SINGLE_NODE = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-huggingfaceserver
spec:
  protocolVersions: [v2, v1]
  supportedModelFormats:
    - {name: huggingface, autoSelect: true}
  containers:
    - {name: kserve-container, image: kserve/huggingfaceserver:v0.20.0}
"""

LGB_RUNTIME = """
apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata:
  name: kserve-lgbserver
spec:
  protocolVersions: [v1, v2]
  supportedModelFormats:
    - {name: lightgbm, autoSelect: true}
  containers:
    - {name: kserve-container, image: kserve/lgbserver:v0.20.0}
"""

# A team's ServingRuntime named like the cluster's sklearn runtime, but serving xgboost only.
SHADOWING_RUNTIME = """
apiVersion: serving.kserve.io/v1alpha1
kind: ServingRuntime
metadata:
  name: kserve-sklearnserver
  namespace: models
spec:
  supportedModelFormats:
    - {name: xgboost, autoSelect: true}
  containers:
    - {name: kserve-container, image: kserve/xgbserver:v0.20.0}
"""


def team_runtime(namespace: str) -> str:
    return f"""
    apiVersion: serving.kserve.io/v1alpha1
    kind: ServingRuntime
    metadata:
      name: team-sklearn
      namespace: {namespace}
    spec:
      supportedModelFormats:
        - {{name: sklearn, autoSelect: true}}
      containers:
        - {{name: kserve-container, image: kserve/sklearnserver:v0.20.0}}
    """


# Rows without kserve= follow KServe v0.20.0's selection (KSV001's, when no version is given); the
# -on-v0.14 / -on-v0.20 rows pin the version where the two releases pick runtimes differently.
KSV001 = [
    case(
        "auto-selected-format-is-served",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              storageUri: s3://bucket/iris
        """),
    ),
    case(
        "no-runtime-for-the-format",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-model
          namespace: models
        spec:
          predictor:
            model:
              modelFormat:  # <- a
                name: onnx
              storageUri: s3://bucket/onnx
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat",
               message="no ServingRuntime or ClusterServingRuntime auto-selects modelFormat onnx with protocol v1"),
    ),
    case(
        "protocol-v2-is-offered",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              protocolVersion: v2
        """),
    ),
    case(
        "protocol-grpc-v2-is-not-offered",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}  # <- a
              protocolVersion: grpc-v2
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="modelFormat sklearn with protocol grpc-v2"),
    ),
    case(
        "same-version-as-the-runtime",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn, version: "1"}
        """),
    ),
    case(
        "other-major-version-than-the-runtime",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn, version: "2"}  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="modelFormat sklearn 2 with protocol v1"),
    ),
    case(
        "runtime-without-protocol-versions-serves-v1-and-v2",
        (XGBOOST_ANY_PROTOCOL, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: churn
        spec:
          predictor:
            model:
              modelFormat: {name: xgboost}
              protocolVersion: v2
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: churn-v1
        spec:
          predictor:
            model:
              modelFormat: {name: xgboost}
        """),
    ),
    case(
        "format-listed-without-auto-select",
        (TRITON_NOT_AUTO, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-model
        spec:
          predictor:
            model:
              modelFormat: {name: onnx}  # <- a
              protocolVersion: v2
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="auto-selects modelFormat onnx with protocol v2"),
    ),
    case(
        "named-runtime-needs-no-auto-select",
        (TRITON_NOT_AUTO, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-model
        spec:
          predictor:
            model:
              modelFormat: {name: onnx}
              protocolVersion: v2
              runtime: kserve-tritonserver
        """),
    ),
    case(
        "disabled-runtime-is-not-auto-selected",
        (DISABLED_SKLEARN, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="KServe would leave it unscheduled"),
    ),
    case(
        "disabled-runtime-named",
        (DISABLED_SKLEARN, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              runtime: kserve-sklearnserver  # <- a
              modelFormat: {name: sklearn}
        """),
        Expect("KSV001", "a", "spec.predictor.model.runtime", message="runtime 'kserve-sklearnserver' is disabled"),
    ),
    case(
        "multi-model-runtime-is-not-auto-selected",
        (MULTI_MODEL, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="auto-selects modelFormat sklearn"),
    ),
    case(
        "multi-model-runtime-named",
        (MULTI_MODEL, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              runtime: mlserver-mms
        """),
    ),
    case(
        "named-runtime-is-missing",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              runtime: kserve-mlserver  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.runtime",
               message="runtime 'kserve-mlserver' is not a ServingRuntime in namespace models nor a ClusterServingRuntime here"),
    ),
    case(
        "named-runtime-is-missing-no-namespace",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              runtime: kserve-mlserver  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.runtime", message="in namespace (none) nor a ClusterServingRuntime"),
    ),
    case(
        "named-runtime-lacks-the-format",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: churn
        spec:
          predictor:
            model:
              modelFormat:  # <- a
                name: xgboost
              runtime: kserve-sklearnserver
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat",
               message="runtime 'kserve-sklearnserver' does not support modelFormat xgboost with protocol v1"),
    ),
    case(
        "named-runtime-lacks-the-protocol",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}  # <- a
              protocolVersion: grpc-v2
              runtime: kserve-sklearnserver
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="does not support modelFormat sklearn with protocol grpc-v2"),
    ),
    case(
        "namespaced-runtime-in-the-same-namespace",
        (team_runtime("models"), """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris-named
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              runtime: team-sklearn
        """),
    ),
    case(
        "namespaced-runtime-in-another-namespace",
        (team_runtime("team-a"), """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}  # <- auto
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris-named
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              runtime: team-sklearn  # <- named
        """),
        Expect("KSV001", "auto", "spec.predictor.model.modelFormat"),
        Expect("KSV001", "named", "spec.predictor.model.runtime", message="not a ServingRuntime in namespace models"),
    ),
    case(
        "list-canary-predictor-is-matched-too",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                model:
                  modelFormat: {name: lightgbm}  # <- a
        """),
        Expect("KSV001", "a", "spec.canary[0].predictor.model.modelFormat", message="modelFormat lightgbm with protocol v1"),
    ),
    case(
        "no-runtime-in-the-input-nothing-to-match-against",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-model
        spec:
          predictor:
            model:
              modelFormat: {name: onnx}
              runtime: not-here
        """,
    ),
    case(
        "custom-container-predictor-has-no-format",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: custom
        spec:
          predictor:
            containers:
              - name: kserve-container
                image: ghcr.io/acme/custom-model:1.0
        """),
    ),
    case(
        "named-runtime-without-a-protocol-version",
        (TRITON_NOT_AUTO, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-model
        spec:
          predictor:
            model:
              modelFormat: {name: onnx}
              runtime: kserve-tritonserver
        """),
    ),
    case(
        "runtime-without-protocol-versions-serves-grpc-v2",
        (XGBOOST_ANY_PROTOCOL, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: churn
        spec:
          predictor:
            model:
              modelFormat: {name: xgboost}
              protocolVersion: grpc-v2
        """),
    ),
    case(
        "minor-version-the-runtime-does-not-list",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn, version: "1.3"}  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat"),
    ),
    case(
        "versioned-format-on-an-unversioned-runtime",
        (XGBOOST_ANY_PROTOCOL, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: churn
        spec:
          predictor:
            model:
              modelFormat: {name: xgboost, version: "2"}  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat"),
    ),
    case(
        "empty-protocol-version-matches-every-runtime",
        (VLLM_V2_ONLY, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: chat
        spec:
          predictor:
            model:
              modelFormat: {name: vLLM}
              protocolVersion: ""
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: chat-v1
        spec:
          predictor:
            model:
              modelFormat: {name: vLLM}  # <- a
              protocolVersion: v1
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="auto-selects modelFormat vLLM with protocol v1"),
    ),
    case(
        "triton-format-defaults-to-protocol-v2",
        (TRITON_AUTO, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: ensemble
        spec:
          predictor:
            model:
              modelFormat: {name: triton, version: "2"}
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: ensemble-v1
        spec:
          predictor:
            model:
              modelFormat: {name: triton, version: "2"}  # <- a
              protocolVersion: v1
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="auto-selects modelFormat triton 2 with protocol v1"),
        kserve="v0.14.1",
    ),
    case(
        "vllm-format-defaults-to-protocol-v2-on-v0.20",
        (VLLM_V2_ONLY, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: chat
        spec:
          predictor:
            model:
              modelFormat: {name: vLLM}
        """),
        kserve="v0.20.0",
    ),
    case(
        "vllm-format-is-protocol-v1-on-v0.14",
        (VLLM_V2_ONLY, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: chat
        spec:
          predictor:
            model:
              modelFormat: {name: vLLM}  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="auto-selects modelFormat vLLM with protocol v1"),
        kserve="v0.14.1",
    ),
    case(
        "named-runtime-without-a-protocol-version-on-v0.14",
        (TRITON_NOT_AUTO, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-model
        spec:
          predictor:
            model:
              modelFormat: {name: onnx}
              runtime: kserve-tritonserver
        """),
        kserve="v0.14.1",
    ),
    case(
        "named-torchserve-checked-as-v1-on-v0.14",
        (TORCHSERVE_OPEN_INFERENCE, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: cifar10
        spec:
          predictor:
            model:
              modelFormat: {name: pytorch}  # <- a
              runtime: kserve-torchserve
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat",
               message="runtime 'kserve-torchserve' does not support modelFormat pytorch with protocol v1"),
        kserve="v0.14.1",
    ),
    case(
        "named-torchserve-takes-its-protocol-on-v0.20",
        (TORCHSERVE_OPEN_INFERENCE, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: cifar10
        spec:
          predictor:
            model:
              modelFormat: {name: pytorch}
              runtime: kserve-torchserve
        """),
        kserve="v0.20.0",
    ),
    case(
        "multi-node-predictor-needs-a-multi-node-runtime-on-v0.20",
        (HUGGINGFACE_SINGLE_NODE, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: llama
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}  # <- a
              protocolVersion: v2
            workerSpec:
              tensorParallelSize: 2
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: llama-single
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}
              protocolVersion: v2
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="this predictor has a workerSpec"),
        kserve="v0.20.0",
    ),
    case(
        "single-node-predictor-skips-a-multi-node-runtime-on-v0.20",
        (HUGGINGFACE_MULTI_NODE, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: llama
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}
              protocolVersion: v2
            workerSpec:
              tensorParallelSize: 2
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: llama-single
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}  # <- a
              protocolVersion: v2
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="this predictor has no workerSpec"),
        kserve="v0.20.0",
    ),
    case(
        "worker-spec-plays-no-part-on-v0.14",
        (HUGGINGFACE_SINGLE_NODE, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: llama
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}
              protocolVersion: v2
            workerSpec:
              tensorParallelSize: 2
        """),
        kserve="v0.14.1",
    ),
    case(
        "per-framework-predictor-is-auto-selected-too",
        (SKLEARN_RUNTIME, TRITON_AUTO, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            sklearn:
              storageUri: s3://bucket/iris
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-model
        spec:
          predictor:
            onnx:
              storageUri: s3://bucket/onnx
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: churn
        spec:
          predictor:
            lightgbm:  # <- lgb
              storageUri: s3://bucket/churn
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: onnx-v1
        spec:
          predictor:
            onnx:  # <- onnx
              protocolVersion: v1
              storageUri: s3://bucket/onnx
        """),
        Expect("KSV001", "lgb", "spec.predictor.lightgbm", message="auto-selects modelFormat lightgbm with protocol v1"),
        Expect("KSV001", "onnx", "spec.predictor.onnx", message="auto-selects modelFormat onnx with protocol v1"),
    ),
    case(
        "model-mesh-predictor-is-left-to-model-mesh",
        (MULTI_MODEL, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          annotations:
            serving.kserve.io/deploymentMode: ModelMesh
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris-knative
          annotations:
            serving.kserve.io/deploymentMode: Knative
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}  # <- a
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="auto-selects modelFormat sklearn"),
    ),
    case(
        "namespaced-runtime-shadows-the-cluster-runtime-of-its-name",
        (SKLEARN_RUNTIME, SHADOWING_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}  # <- a
              runtime: kserve-sklearnserver
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: team-b
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
              runtime: kserve-sklearnserver
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat",
               message="runtime 'kserve-sklearnserver' does not support modelFormat sklearn with protocol v1"),
    ),
    case(
        "canary-inherits-the-stable-runtime",
        (SKLEARN_RUNTIME, LGB_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                model:
                  modelFormat: {name: lightgbm}  # <- a
            - trafficPercent: 10
              predictor:
                name: iris-lgb
                model:
                  modelFormat: {name: lightgbm}
                  runtime: kserve-lgbserver
            - trafficPercent: 10
              predictor:
                name: iris-v2
                model:
                  storageUri: s3://bucket/iris/v2
        """),
        Expect("KSV001", "a", "spec.canary[0].predictor.model.modelFormat",
               message="runtime 'kserve-sklearnserver', which the canary takes from spec.predictor, does not support modelFormat lightgbm"),
        kserve="v0.20.0",
    ),
    case(
        "canary-inherits-the-stable-version-and-protocol",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn, version: "1"}
              protocolVersion: v2
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-grpc
                model:
                  protocolVersion: grpc-v2  # <- a
        """),
        Expect("KSV001", "a", "spec.canary[0].predictor.model.protocolVersion",
               message="does not support modelFormat sklearn 1 with protocol grpc-v2"),
        kserve="v0.20.0",
    ),
    case(
        "canary-is-not-reached-when-the-stable-predictor-fails",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: onnx}  # <- a
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                model:
                  modelFormat: {name: lightgbm}
        """),
        Expect("KSV001", "a", "spec.predictor.model.modelFormat", message="auto-selects modelFormat onnx"),
        kserve="v0.20.0",
    ),
    case(
        "list-canary-is-not-built-outside-standard-mode",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
          annotations:
            serving.kserve.io/deploymentMode: Knative
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                model:
                  modelFormat: {name: lightgbm}
        """),
        kserve="v0.20.0",
    ),
    case(
        "list-canary-is-not-a-field-of-v0.14",
        (SKLEARN_RUNTIME, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
          namespace: models
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                model:
                  modelFormat: {name: lightgbm}
        """),
        kserve="v0.14.1",
    ),
]


@pytest.mark.parametrize("row", KSV001, ids=lambda r: r.id)
def test_ksv001_runtime(row, tmp_path):
    assert_case(kserve.runtime_check, row, tmp_path)


# --- KSV002: pre-v1beta1 forms ---------------------------------------------------------------------------

KSV002 = [
    case(
        "v1beta1-model-form",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            canaryTrafficPercent: 10
            model:
              modelFormat: {name: sklearn}
              storageUri: s3://bucket/iris
        """,
        kserve="v0.20.0",
    ),
    case(
        "v1alpha2-api-version",
        """
        apiVersion: serving.kserve.io/v1alpha2  # <- a
        kind: InferenceService
        metadata:
          name: iris
        spec:
          default:
            predictor:
              sklearn:
                storageUri: s3://bucket/iris
          canaryTrafficPercent: 10
        """,
        # one finding for the whole object: its rewrite covers spec.default and the rest
        Expect("KSV002", "a", "apiVersion", message="serving.kserve.io/v1alpha2 was removed from KServe"),
        kserve="v0.20.0",
    ),
    case(
        "v1alpha2-of-another-kind",
        """
        apiVersion: serving.kserve.io/v1alpha2
        kind: TrainedModel
        metadata:
          name: iris
        spec:
          inferenceService: sklearn-mms
        """,
        kserve="v0.20.0",
    ),
    case(
        "spec-default",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          default:  # <- a
            predictor:
              model:
                modelFormat: {name: sklearn}
        """,
        Expect("KSV002", "a", "spec.default", message="move spec.default.predictor to spec.predictor"),
        kserve="v0.20.0",
    ),
    case(
        "object-canary-where-the-crd-has-the-list-form",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:  # <- a
            predictor:
              model:
                modelFormat: {name: sklearn}
                storageUri: s3://bucket/iris/v2
        """,
        Expect("KSV002", "a", "spec.canary", message="write the canary as a list entry: spec.canary: [{trafficPercent: N"),
        kserve="v0.20.0",
    ),
    case(
        "object-canary-where-the-crd-has-no-list-form",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:  # <- a
            predictor:
              model:
                modelFormat: {name: sklearn}
        """,
        Expect("KSV002", "a", "spec.canary", message="set spec.predictor.canaryTrafficPercent: N"),
        kserve="v0.14.1",
    ),
    case(
        "object-canary-without-schemas",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:  # <- a
            predictor:
              model:
                modelFormat: {name: sklearn}
        """,
        Expect("KSV002", "a", "spec.canary", message="put the new model in spec.predictor"),
        schemas=False,
    ),
    case(
        "list-canary",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                model:
                  modelFormat: {name: sklearn}
        """,
        kserve="v0.20.0",
    ),
    case(
        "spec-canary-traffic-percent",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          canaryTrafficPercent: 20  # <- a
          predictor:
            model:
              modelFormat: {name: sklearn}
        """,
        Expect("KSV002", "a", "spec.canaryTrafficPercent", message="move it to spec.predictor.canaryTrafficPercent"),
        kserve="v0.20.0",
    ),
    case(
        "per-framework-predictor",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            sklearn:  # <- a
              storageUri: s3://bucket/iris
        """,
        Expect("KSV002", "a", "spec.predictor.sklearn", WARNING,
               message="write model: {modelFormat: {name: sklearn}, storageUri: ...} with the same fields instead"),
        kserve="v0.20.0",
    ),
    case(
        "every-framework-key-of-the-old-api",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: mixed
        spec:
          predictor:
            tensorflow: {storageUri: s3://b/tf}  # <- tf
            huggingface: {storageUri: s3://b/hf}  # <- hf
            paddle: {storageUri: s3://b/pd}  # <- pd
        """,
        Expect("KSV002", "tf", "spec.predictor.tensorflow", WARNING, message="tensorflow is the deprecated"),
        Expect("KSV002", "hf", "spec.predictor.huggingface", WARNING, message="huggingface is the deprecated"),
        Expect("KSV002", "pd", "spec.predictor.paddle", WARNING, message="paddle is the deprecated"),
        schemas=False,
    ),
    case(
        "per-framework-predictor-in-a-list-canary",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: churn
        spec:
          predictor:
            model:
              modelFormat: {name: xgboost}
          canary:
            - trafficPercent: 10
              predictor:
                xgboost:  # <- a
                  storageUri: s3://bucket/churn/v2
        """,
        Expect("KSV002", "a", "spec.canary[0].predictor.xgboost", WARNING, message="xgboost is the deprecated"),
        kserve="v0.20.0",
    ),
    case(
        "framework-key-that-is-not-a-mapping",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            sklearn: null
            model:
              modelFormat: {name: sklearn}
        """,
        schemas=False,
    ),
    case(
        "all-at-once",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          default:  # <- default
            predictor: {}
          canary:  # <- canary
            predictor: {}
          canaryTrafficPercent: 10  # <- percent
          predictor:
            pytorch:  # <- pytorch
              storageUri: s3://bucket/cifar
        """,
        Expect("KSV002", "default", "spec.default"),
        Expect("KSV002", "canary", "spec.canary"),
        Expect("KSV002", "percent", "spec.canaryTrafficPercent"),
        Expect("KSV002", "pytorch", "spec.predictor.pytorch", WARNING),
        kserve="v0.14.1",
    ),
]


@pytest.mark.parametrize("row", KSV002, ids=lambda r: r.id)
def test_ksv002_legacy(row, tmp_path):
    assert_case(kserve.legacy_check, row, tmp_path)



# --- KSV003: a field the KServe version does not have (read from its CRD) --------------------------------

LIST_CANARY = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
  canary:  # <- a
    - trafficPercent: 10
      predictor:
        name: iris-next
        model:
          modelFormat: {name: sklearn}
"""

AUTOSCALING = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    autoScaling:  # <- a
      metrics:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
    model:
      modelFormat: {name: sklearn}
"""

TYPO = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  unknownMetadata: x
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUrl: s3://bucket/iris  # <- a
"""

NO_FIELD = "InferenceService of KServe {} has no field {!r} here; the API server would drop it silently"

KSV003 = [
    case("list-canary-on-v0.20.0", LIST_CANARY, kserve="v0.20.0"),
    case("list-canary-on-v0.14.1", LIST_CANARY,
         Expect("KSV003", "a", "spec.canary", message=NO_FIELD.format("v0.14.1", "canary")), kserve="v0.14.1"),
    case("list-canary-in-staging", LIST_CANARY, env="staging"),
    case("list-canary-in-prod", LIST_CANARY, Expect("KSV003", "a", "spec.canary", message=NO_FIELD.format("v0.14.1", "canary")), env="prod"),
    case("list-canary-in-staging-checked-as-v0.14.1", LIST_CANARY,
         Expect("KSV003", "a", "spec.canary", message="KServe v0.14.1 has no field 'canary'"), env="staging", kserve="v0.14.1"),
    case("autoscaling-on-v0.20.0", AUTOSCALING, kserve="v0.20.0"),
    case("autoscaling-on-v0.14.1", AUTOSCALING,
         Expect("KSV003", "a", "spec.predictor.autoScaling", message=NO_FIELD.format("v0.14.1", "autoScaling")), kserve="v0.14.1"),
    case(
        "container-field-of-a-newer-kubernetes-on-v0.14.1",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: custom
        spec:
          predictor:
            containers:
              - name: kserve-container
                image: ghcr.io/acme/model:1.0
                restartPolicyRules:  # <- a
                  - action: Restart
                    exitCodes: {operator: In, values: [42]}
        """,
        Expect("KSV003", "a", "spec.predictor.containers[0].restartPolicyRules", message="has no field 'restartPolicyRules'"),
        kserve="v0.14.1",
    ),
    case("typo-against-kserve-main", TYPO,
         Expect("KSV003", "a", "spec.predictor.model.storageUrl",
                message="InferenceService of the KServe CRDs in use has no field 'storageUrl' here")),
    case("typo-against-v0.20.0", TYPO, Expect("KSV003", "a", "spec.predictor.model.storageUrl", message="KServe v0.20.0"), kserve="v0.20.0"),
    # --strict: the schema check reports every unknown field itself; --no-schemas: no CRD to read
    case("strict-leaves-it-to-the-schema-check", TYPO, kserve="v0.20.0", strict=True),
    case("no-schemas-no-crd", TYPO, kserve="v0.20.0", schemas=False),
    case(
        "serving-runtime-field",
        """
        apiVersion: serving.kserve.io/v1alpha1
        kind: ServingRuntime
        metadata:
          name: team-sklearn
        spec:
          supportedModelFormats:
            - name: sklearn
              autoselect: true  # <- a
          containers:
            - {name: kserve-container, image: kserve/sklearnserver:v0.20.0}
        """,
        Expect("KSV003", "a", "spec.supportedModelFormats[0].autoselect",
               message="ServingRuntime of KServe v0.20.0 has no field 'autoselect' here"),
        kserve="v0.20.0",
    ),
    case(
        "objects-outside-kserve-and-kinds-without-a-crd",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicaz: 2
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: Widget
        metadata:
          name: w
        spec:
          anything: true
        """,
        kserve="v0.20.0",
    ),
]


@pytest.mark.parametrize("row", KSV003, ids=lambda r: r.id)
def test_ksv003_version_fields(row, tmp_path):
    for finding in assert_case(kserve.version_fields_check, row, tmp_path):
        if finding.json_path == "spec.canary":  # how to canary on this version instead
            assert finding.hint.startswith("on this version, put the new model in spec.predictor")
        else:
            assert finding.hint == "remove it, or target a KServe version whose CRD has it"


# --- KSV004/KSV005: what RawDeployment (Standard) mode cannot do -----------------------------------------
# dev runs KServe v0.20.0 in Knative mode, staging v0.20.0 in Standard mode, prod v0.14.1 in RawDeployment
# mode (kserve-gitops.yaml); an InferenceService's deploymentMode annotation overrides its environment's.

CANARY_PERCENT = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    canaryTrafficPercent: 10  # <- a
    model:
      modelFormat: {name: sklearn}
"""

MIN_ZERO = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    minReplicas: 0  # <- a
    model:
      modelFormat: {name: sklearn}
"""


def annotated(mode: str, body: str) -> str:
    """``body`` (the spec of an InferenceService named iris) with a deploymentMode annotation."""
    return f"""
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  annotations:
    serving.kserve.io/deploymentMode: {mode}
spec:
{body}"""


RAW_DEPLOYMENT = [
    case("canary-percent-in-standard-mode", CANARY_PERCENT,
         Expect("KSV004", "a", "spec.predictor.canaryTrafficPercent", WARNING, message="no effect in Standard mode"), env="staging"),
    case("canary-percent-in-raw-deployment-mode", CANARY_PERCENT,
         Expect("KSV004", "a", "spec.predictor.canaryTrafficPercent", WARNING, message="no effect in RawDeployment mode"), env="prod"),
    case("canary-percent-in-knative-mode", CANARY_PERCENT, env="dev"),
    case("canary-percent-in-serverless-mode", CANARY_PERCENT, env="prod", mode="Serverless"),
    case("canary-percent-with-no-environment-and-no-annotation", CANARY_PERCENT),
    case(
        "annotation-turns-a-knative-environment-raw",
        annotated("RawDeployment", "  predictor:\n    canaryTrafficPercent: 10  # <- a\n    minReplicas: 0  # <- b\n"),
        Expect("KSV004", "a", "spec.predictor.canaryTrafficPercent", WARNING, message="in RawDeployment mode"),
        Expect("KSV005", "b", "spec.predictor.minReplicas", message="minReplicas: 0 in RawDeployment mode"),
        env="dev",
    ),
    case(
        "annotation-standard-without-an-environment",
        annotated("Standard", "  predictor:\n    canaryTrafficPercent: 10  # <- a\n"),
        Expect("KSV004", "a", "spec.predictor.canaryTrafficPercent", WARNING, message="in Standard mode"),
    ),
    case(
        "annotation-turns-a-standard-environment-knative",
        annotated("Knative", "  predictor:\n    canaryTrafficPercent: 10\n    minReplicas: 0\n"),
        env="staging",
    ),
    case(
        "empty-annotation-keeps-the-environment-mode",
        annotated('""', "  predictor:\n    canaryTrafficPercent: 10  # <- a\n"),
        Expect("KSV004", "a", "spec.predictor.canaryTrafficPercent", WARNING, message="in Standard mode"),
        env="staging",
    ),
    case(
        "list-canary-traffic-percent-is-not-canary-traffic-percent",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                minReplicas: 1
                model:
                  modelFormat: {name: sklearn}
        """,
        env="staging",
    ),
    case("min-replicas-zero-in-standard-mode", MIN_ZERO,
         Expect("KSV005", "a", "spec.predictor.minReplicas", message="scale to zero needs Serverless (Knative)"), env="staging"),
    case("min-replicas-zero-in-raw-deployment-mode", MIN_ZERO,
         Expect("KSV005", "a", "spec.predictor.minReplicas", message="minReplicas: 0 in RawDeployment mode"), env="prod"),
    case("min-replicas-zero-in-knative-mode", MIN_ZERO, env="dev"),
    case(
        "min-replicas-one",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            minReplicas: 1
            model:
              modelFormat: {name: sklearn}
        """,
        env="prod",
    ),
    case(
        "min-replicas-zero-on-every-component",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: mnist
        spec:
          predictor:
            minReplicas: 0  # <- predictor
            model:
              modelFormat: {name: pytorch}
          transformer:
            minReplicas: 0  # <- transformer
            containers:
              - {name: kserve-container, image: ghcr.io/acme/transformer:1.0}
          explainer:
            minReplicas: 0  # <- explainer
            art:
              type: SquareAttack
          canary:
            - trafficPercent: 10
              predictor:
                name: mnist-next
                minReplicas: 0  # <- canary
                model:
                  modelFormat: {name: pytorch}
        """,
        Expect("KSV005", "predictor", "spec.predictor.minReplicas"),
        Expect("KSV005", "transformer", "spec.transformer.minReplicas"),
        Expect("KSV005", "explainer", "spec.explainer.minReplicas"),
        Expect("KSV005", "canary", "spec.canary[0].predictor.minReplicas"),
        env="staging",
    ),
    case(
        "both-on-one-predictor",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            minReplicas: 0  # <- min
            canaryTrafficPercent: 25  # <- percent
            model:
              modelFormat: {name: sklearn}
        """,
        Expect("KSV005", "min", "spec.predictor.minReplicas"),
        Expect("KSV004", "percent", "spec.predictor.canaryTrafficPercent", WARNING),
        env="prod",
    ),
    case(
        "not-an-inference-service",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: iris
        spec:
          minReplicas: 0
          canaryTrafficPercent: 10
        """,
        env="staging",
    ),
]


@pytest.mark.parametrize("row", RAW_DEPLOYMENT, ids=lambda r: r.id)
def test_ksv004_ksv005_raw_deployment(row, tmp_path):
    assert_case(kserve.raw_deployment_check, row, tmp_path)


# --- KSV006: a transformer whose predictor host is outside the cluster -----------------------------------


def transformer(args: str = "", env: str = "") -> str:
    """An InferenceService whose transformer container has ``args`` and ``env`` (YAML, 8-space indent)."""
    return f"""
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: flowers
spec:
  predictor:
    model:
      modelFormat: {{name: tensorflow}}
  transformer:
    containers:
      - name: kserve-container
        image: ghcr.io/acme/transformer:1.0
{args}{env}"""


def env_host(value: str) -> str:
    return f"        env:\n          - name: PREDICTOR_HOST\n            value: '{value}'  # <- a\n"


def arg_host(value: str) -> str:
    return f"        args:\n          - --predictor_host={value}  # <- a\n"


EXTERNAL = "the transformer's predictor host {!r} is outside the cluster"

# (value, the host KSV006 names, or None when the value stays in the cluster)
HOSTS = [
    ("predictor.acme.example.com", "predictor.acme.example.com"),
    ("http://models.acme.example:8080", "models.acme.example"),
    ("https://user:pw@models.acme.example/v1/models/flowers", "models.acme.example"),
    ("8.8.8.8", "8.8.8.8"),
    ("8.8.8.8:8080", "8.8.8.8"),
    ("[2606:4700::1111]:8080", "2606:4700::1111"),
    ("models.acme.example.", "models.acme.example."),
    ("flowers-predictor", None),
    ("flowers-predictor.models-dev", None),
    ("flowers-predictor.models-dev.svc", None),
    ("flowers-predictor.models-dev.svc.cluster.local", None),
    ("http://flowers-predictor.models-dev.svc.cluster.local:80/v1", None),
    ("FLOWERS-PREDICTOR.MODELS-DEV.SVC.CLUSTER.LOCAL.", None),
    ("10.0.12.7", None),
    ("127.0.0.1:8080", None),
    ("169.254.10.1", None),
    ("[fd00::12]:8080", None),
    ("http://", None),
]


def host_rows() -> list:
    rows = []
    for value, host in HOSTS:
        for where, text, path in (("env", env_host(value), "spec.transformer.containers[0].env[0].value"),
                                  ("arg", arg_host(value), "spec.transformer.containers[0].args[0]")):
            expect = (Expect("KSV006", "a", path, message=EXTERNAL.format(host)),) if host else ()
            snippet = transformer(env=text) if where == "env" else transformer(args=text)
            rows.append(case(f"{where}-{value}", snippet, *expect))
    return rows


KSV006 = [
    *host_rows(),
    case(
        "separate-flag-and-value",
        transformer(args="        args:\n          - --model_name=flowers\n          - --predictor_host  # <- a\n          - models.acme.example.com\n"),
        Expect("KSV006", "a", "spec.transformer.containers[0].args[1]", message=EXTERNAL.format("models.acme.example.com")),
    ),
    case(
        "flag-as-the-last-arg",
        transformer(args="        args: [--model_name=flowers, --predictor_host]\n"),
    ),
    case(
        "flow-style-args",
        transformer(args='        args: ["--predictor_host=http://models.acme.example:8080"]\n'
                         "        #      ^ a\n"),
        Expect("KSV006", "a", "spec.transformer.containers[0].args[0]", message=EXTERNAL.format("models.acme.example")),
    ),
    case(
        "other-env-and-value-from",
        transformer(env="        env:\n"
                        "          - {name: STORAGE_HOST, value: s3.eu-west-1.amazonaws.com}\n"
                        "          - name: PREDICTOR_HOST\n"
                        "            valueFrom: {configMapKeyRef: {name: hosts, key: predictor}}\n"),
    ),
    case(
        "both-forms-in-one-container",
        transformer(args="        args: [--predictor_host=api.acme.example.com]\n        #      ^ arg\n",
                    env="        env:\n          - name: LOG_LEVEL\n            value: debug\n"
                        "          - name: PREDICTOR_HOST\n            value: models.acme.example.com  # <- env\n"),
        Expect("KSV006", "arg", "spec.transformer.containers[0].args[0]"),
        Expect("KSV006", "env", "spec.transformer.containers[0].env[1].value"),
    ),
    case(
        "second-transformer-container",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: flowers
        spec:
          predictor:
            model:
              modelFormat: {name: tensorflow}
          transformer:
            containers:
              - name: kserve-container
                image: ghcr.io/acme/transformer:1.0
              - name: sidecar
                image: ghcr.io/acme/proxy:1.0
                args: [--predictor_host, api.acme.example.com]
                #      ^ a
        """,
        Expect("KSV006", "a", "spec.transformer.containers[1].args[0]", message="'api.acme.example.com'"),
    ),
    case(
        "predictor-containers-are-not-checked",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: flowers
        spec:
          predictor:
            containers:
              - name: kserve-container
                image: ghcr.io/acme/model:1.0
                args: [--predictor_host=api.acme.example.com]
        """,
    ),
]


@pytest.mark.parametrize("row", KSV006, ids=lambda r: r.id)
def test_ksv006_predictor_host(row, tmp_path):
    for finding in assert_case(kserve.predictor_host_check, row, tmp_path):
        assert finding.hint == "use the predictor Service in the cluster, e.g. flowers-predictor (or flowers-predictor.<namespace>)"


# --- KSV007: a container name on a built-in predictor ----------------------------------------------------

KSV007 = [
    case(
        "model-container-named",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              name: predictor  # <- a
              modelFormat: {name: sklearn}
        """,
        Expect("KSV007", "a", "spec.predictor.model.name",
               message="container name 'predictor' on the built-in predictor model: KServe runs a built-in predictor's container as 'kserve-container'"),
    ),
    case(
        "model-container-named-kserve-container",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              name: kserve-container
              modelFormat: {name: sklearn}
        """,
    ),
    case(
        "model-container-name-empty-or-absent",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              name: ""
              modelFormat: {name: sklearn}
        ---
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris-2
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
        """,
    ),
    case(
        "per-framework-predictor-named",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            sklearn:
              storageUri: s3://bucket/iris
              name: sklearn  # <- a
        """,
        Expect("KSV007", "a", "spec.predictor.sklearn.name", message="on the built-in predictor sklearn"),
    ),
    case(
        "list-canary-predictor-named",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              modelFormat: {name: sklearn}
          canary:
            - trafficPercent: 10
              predictor:
                name: iris-next
                model:
                  name: canary  # <- a
                  modelFormat: {name: sklearn}
        """,
        # the canary predictor's own name (a component name) is not a container name
        Expect("KSV007", "a", "spec.canary[0].predictor.model.name", message="container name 'canary'"),
    ),
    case(
        "custom-containers-may-have-any-name",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: custom
        spec:
          predictor:
            containers:
              - name: my-model
                image: ghcr.io/acme/model:1.0
          transformer:
            containers:
              - name: my-transformer
                image: ghcr.io/acme/transformer:1.0
        """,
    ),
    case(
        "inside-a-list",
        """
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
          - apiVersion: serving.kserve.io/v1beta1
            kind: InferenceService
            metadata:
              name: iris
            spec:
              predictor:
                model:
                  modelFormat: {name: sklearn}
                  name: iris  # <- a
        """,
        Expect("KSV007", "a", "spec.predictor.model.name"),
    ),
    case(
        "legacy-api-group-is-not-kserve",
        """
        apiVersion: serving.kubeflow.org/v1beta1
        kind: InferenceService
        metadata:
          name: iris
        spec:
          predictor:
            model:
              name: predictor
              modelFormat: {name: sklearn}
        """,
    ),
]


@pytest.mark.parametrize("row", KSV007, ids=lambda r: r.id)
def test_ksv007_container_name(row, tmp_path):
    for finding in assert_case(kserve.container_name_check, row, tmp_path):
        assert finding.hint == "remove 'name' (or set it to kserve-container)"
