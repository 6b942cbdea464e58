"""KSV011, KSV012 and KSV020 (the checks of kserve_features.py) as tables: a snippet and the exact findings,
under the environment, KServe version and deployment mode each rule depends on. KSV020 is about
kserve-gitops.yaml itself, so its rows are that file with a ``security`` block."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import REPO
from ksv_table import Expect, assert_case, case, marks, repo_environment

from kserve_gitops.inputs.config import load_config
from kserve_gitops.inputs.yamlsrc import clear_position_cache
from kserve_gitops.results import WARNING
from kserve_gitops.validate.checks import kserve_features
from kserve_gitops.validate.checks.base import CheckContext
from kserve_gitops.validate.options import ValidateOptions

# --- KSV011: a local model cache where the KServe version has no such CRD --------------------------------


def cache_object(kind: str, api_version: str = "serving.kserve.io/v1alpha1") -> str:
    namespace = "  namespace: models-prod\n" if kind == "LocalModelNamespaceCache" else ""
    spec = {
        "LocalModelCache": "  sourceModelUri: s3://acme-models/triton/ranker/v1\n  modelSize: 4Gi\n  nodeGroups: [gpu-a10g]\n",
        "LocalModelNamespaceCache": "  sourceModelUri: s3://acme-models/triton/ranker/v1\n  modelSize: 4Gi\n  nodeGroups: [gpu-a10g]\n",
        "LocalModelNodeGroup": "  storageLimit: 100Gi\n  persistentVolumeSpec: {}\n  persistentVolumeClaimSpec: {}\n",
    }[kind]
    return f"""
apiVersion: {api_version}
kind: {kind}  # <- a
metadata:
  name: ranker
{namespace}spec:
{spec}"""


def no_crd(kind: str, version: str, api_version: str = "serving.kserve.io/v1alpha1") -> Expect:
    return Expect("KSV011", "a", "kind", message=f"KServe {version} has no {kind} CRD ({api_version}): the local model cache does not exist in this release")


KSV011 = [
    # v0.14.1 ships LocalModelCache and LocalModelNodeGroup in its kserve-crd chart; the namespaced cache came later
    case("cache-on-v0.14.1", cache_object("LocalModelCache"), kserve="v0.14.1"),
    case("node-group-on-v0.14.1", cache_object("LocalModelNodeGroup"), kserve="v0.14.1"),
    case("namespace-cache-on-v0.14.1", cache_object("LocalModelNamespaceCache"),
         no_crd("LocalModelNamespaceCache", "v0.14.1"), kserve="v0.14.1"),
    case("namespace-cache-in-prod", cache_object("LocalModelNamespaceCache"),
         no_crd("LocalModelNamespaceCache", "v0.14.1"), env="prod"),
    case("namespace-cache-on-v0.20.0", cache_object("LocalModelNamespaceCache"), kserve="v0.20.0"),
    case("namespace-cache-in-staging", cache_object("LocalModelNamespaceCache"), env="staging"),
    # --kserve-version wins over the environment's release
    case("namespace-cache-in-staging-checked-as-v0.14.1", cache_object("LocalModelNamespaceCache"),
         no_crd("LocalModelNamespaceCache", "v0.14.1"), env="staging", kserve="v0.14.1"),
    # without the kserve-localmodel-crd chart, v0.20.0's CRD folder has no cache at all
    case("cache-on-v0.20.0-without-the-localmodel-chart", cache_object("LocalModelCache"),
         no_crd("LocalModelCache", "v0.20.0"), kserve="v0.20.0", extra={"charts": False}),
    case("node-group-on-v0.20.0-without-the-localmodel-chart", cache_object("LocalModelNodeGroup"),
         no_crd("LocalModelNodeGroup", "v0.20.0"), kserve="v0.20.0", extra={"charts": False}),
    case("cache-on-kserve-main", cache_object("LocalModelCache")),
    case("cache-of-an-api-version-no-crd-has", cache_object("LocalModelCache", "serving.kserve.io/v1beta1"),
         no_crd("LocalModelCache", "in use", "serving.kserve.io/v1beta1")),
    case("same-kind-in-another-group", cache_object("LocalModelCache", "cache.acme.io/v1"), kserve="v0.14.1"),
    case("no-schemas-no-judgement", cache_object("LocalModelNamespaceCache"), kserve="v0.14.1", schemas=False),
    case(
        "inference-service-is-not-a-cache",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: ranker
        spec:
          predictor:
            model:
              modelFormat: {name: triton}
        """,
        kserve="v0.14.1",
        extra={"charts": False},
    ),
]


@pytest.mark.parametrize("row", KSV011, ids=lambda r: r.id)
def test_ksv011_model_cache_version(row, tmp_path):
    for finding in assert_case(kserve_features.model_cache_version_check, row, tmp_path):
        assert finding.hint == "cache the model only in environments whose KServe version ships the LocalModelCache CRD"


# --- KSV012: serving ports ---------------------------------------------------------------------------------
# Knative (Serverless) mode: exactly one port, named h2c or http1. Every mode: grpc-v2 needs h2c.


def model_ports(ports: str, protocol: str = "", annotation: str = "") -> str:
    """An InferenceService whose predictor model has ``ports`` (YAML list items, 8-space indent)."""
    proto = f"      protocolVersion: {protocol}\n" if protocol else ""
    notes = f"  annotations:\n    serving.kserve.io/deploymentMode: {annotation}\n" if annotation else ""
    return f"""
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ranker
{notes}spec:
  predictor:
    model:
      modelFormat: {{name: triton}}
{proto}      ports:  # <- ports
{ports}"""


TWO_PORTS = "        - {name: h2c, containerPort: 8081}\n        - {name: http1, containerPort: 8080}\n"
ONE_PORT_NAMED = "        - name: {}  # <- p0\n          containerPort: 8080\n"
KNATIVE_NAMES = "Knative accepts only h2c (HTTP/2, gRPC) or http1"
GRPC_ON_HTTP1 = "protocolVersion grpc-v2 on a port named http1: gRPC needs HTTP/2, so the port must be h2c"

KSV012 = [
    case("one-h2c-port-grpc-in-knative-mode", model_ports(ONE_PORT_NAMED.format("h2c"), "grpc-v2"), env="dev"),
    case("one-http1-port-rest-in-knative-mode", model_ports(ONE_PORT_NAMED.format("http1"), "v2"), env="dev"),
    case("two-ports-in-knative-mode", model_ports(TWO_PORTS),
         Expect("KSV012", "ports", "spec.predictor.model.ports", message="2 ports: in Serverless mode Knative serves exactly one container port"),
         env="dev"),
    case("two-ports-in-standard-mode", model_ports(TWO_PORTS), env="staging"),
    case("two-ports-in-raw-deployment-mode", model_ports(TWO_PORTS), env="prod"),
    case("two-ports-with-no-environment-knative-is-kserve-s-default", model_ports(TWO_PORTS),
         Expect("KSV012", "ports", "spec.predictor.model.ports", message="2 ports")),
    case("two-ports-annotated-raw-in-a-knative-environment", model_ports(TWO_PORTS, annotation="RawDeployment"), env="dev"),
    case("two-ports-annotated-serverless-in-a-standard-environment", model_ports(TWO_PORTS, annotation="Serverless"),
         Expect("KSV012", "ports", "spec.predictor.model.ports", message="2 ports"), env="staging"),
    case("port-named-grpc-in-knative-mode", model_ports(ONE_PORT_NAMED.format("grpc"), "grpc-v2"),
         Expect("KSV012", "p0", "spec.predictor.model.ports[0].name", message=f"port name 'grpc': {KNATIVE_NAMES}"), env="dev"),
    case("port-named-grpc-in-standard-mode", model_ports(ONE_PORT_NAMED.format("grpc"), "grpc-v2"), env="staging"),
    case("port-named-http-in-knative-mode", model_ports(ONE_PORT_NAMED.format("http")),
         Expect("KSV012", "p0", "spec.predictor.model.ports[0].name", message="port name 'http'"), env="dev"),
    case("port-without-a-name-in-knative-mode", model_ports("        - containerPort: 8080  # <- p0\n"),
         Expect("KSV012", "p0", "spec.predictor.model.ports[0]", message="port name None"), env="dev"),
    case("port-without-a-name-in-standard-mode", model_ports("        - containerPort: 8080\n"), env="staging"),
    case("grpc-on-http1-in-knative-mode", model_ports(ONE_PORT_NAMED.format("http1"), "grpc-v2"),
         Expect("KSV012", "p0", "spec.predictor.model.ports[0].name", message=GRPC_ON_HTTP1), env="dev"),
    case("grpc-on-http1-in-standard-mode", model_ports(ONE_PORT_NAMED.format("http1"), "grpc-v2"),
         Expect("KSV012", "p0", "spec.predictor.model.ports[0].name", message=GRPC_ON_HTTP1), env="staging"),
    case("grpc-on-h2c-in-standard-mode", model_ports(ONE_PORT_NAMED.format("h2c"), "grpc-v2"), env="staging"),
    case(
        "three-ports-in-knative-mode",
        model_ports("        - {name: h2c, containerPort: 8081}\n        - name: metrics  # <- p1\n          containerPort: 9090\n"
                    "        - containerPort: 8080  # <- p2\n"),
        Expect("KSV012", "ports", "spec.predictor.model.ports", message="3 ports"),
        Expect("KSV012", "p1", "spec.predictor.model.ports[1].name", message="port name 'metrics'"),
        Expect("KSV012", "p2", "spec.predictor.model.ports[2]", message="port name None"),
        env="dev",
    ),
    case("ports-that-are-not-mappings", model_ports("        - 8080\n"), env="dev"),
    case(
        "custom-container-first-is-the-serving-one",
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
                ports:  # <- ports
                  - {name: http1, containerPort: 8080}
                  - name: admin  # <- p1
                    containerPort: 9000
              - name: sidecar
                image: ghcr.io/acme/proxy:1.0
        """,
        Expect("KSV012", "ports", "spec.predictor.containers[0].ports", message="2 ports"),
        Expect("KSV012", "p1", "spec.predictor.containers[0].ports[1].name", message="port name 'admin'"),
        env="dev",
    ),
    case(
        "transformer-container-port",
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
                ports:
                  - name: http  # <- p0
                    containerPort: 8080
        """,
        Expect("KSV012", "p0", "spec.transformer.containers[0].ports[0].name", message="port name 'http'"),
        env="dev",
    ),
    case(
        "list-canary-predictor-port",
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: ranker
        spec:
          predictor:
            model:
              modelFormat: {name: triton}
              protocolVersion: grpc-v2
              ports: [{name: h2c, containerPort: 8081}]
          canary:
            - trafficPercent: 10
              predictor:
                name: ranker-next
                model:
                  modelFormat: {name: triton}
                  protocolVersion: grpc-v2
                  ports:
                    - name: http1  # <- p0
                      containerPort: 8081
        """,
        Expect("KSV012", "p0", "spec.canary[0].predictor.model.ports[0].name", message=GRPC_ON_HTTP1),
        env="staging",
    ),
]


@pytest.mark.parametrize("row", KSV012, ids=lambda r: r.id)
def test_ksv012_serving_ports(row, tmp_path):
    assert_case(kserve_features.serving_ports_check, row, tmp_path)


# --- KSV020: an environment that turns mTLS off -------------------------------------------------------------
# Each row inserts a security block into a copy of the repo's kserve-gitops.yaml, right under an
# environment's name (dev is first in the file, prod last).


KSV020 = [
    ("dev-mtls-false", "dev", "    security:\n      mtls: false  # <- a\n", True),
    ("prod-mtls-false-flow-style", "prod", "    security: {mtls: false}\n    #          ^ a\n", True),
    ("dev-mtls-true", "dev", "    security:\n      mtls: true\n", False),
    ("dev-security-without-mtls", "dev", "    security: {}\n", False),
    ("dev-no-security-block", "dev", "", False),
]


def config_with(tmp_path: Path, env: str, block: str) -> str:
    lines = (REPO / "kserve-gitops.yaml").read_text().splitlines(keepends=True)
    at = lines.index(f"  {env}:\n") + 1
    text = "".join([*lines[:at], block, *lines[at:]])
    (tmp_path / "kserve-gitops.yaml").write_text(text)
    return text


@pytest.mark.parametrize("row", KSV020, ids=lambda r: r[0])
def test_ksv020_mtls_off(row, tmp_path, monkeypatch):
    _, env_name, block, fires = row
    text = config_with(tmp_path, env_name, block)
    monkeypatch.chdir(tmp_path)  # the finding points at ./kserve-gitops.yaml, as validate runs in the repo
    clear_position_cache()  # cached by that relative path: another row's copy must not answer
    env = load_config(tmp_path / "kserve-gitops.yaml").environment(env_name)
    ctx = CheckContext(environment=env, options=ValidateOptions(), schema_set=None, all_objects=[])
    found = list(kserve_features.mtls_off_check([], ctx))
    if not fires:
        assert env.mtls is True and found == []
        return
    [finding] = found
    line, column = marks(text)["a"]
    assert (finding.rule, finding.severity, finding.path, finding.line, finding.column) == ("KSV020", WARNING, "kserve-gitops.yaml", line, column)
    assert finding.environment == env_name and finding.json_path == ""
    assert finding.message.startswith(f"environment {env_name} turns mTLS off (security.mtls: false)")
    assert "remove security.mtls: false" in finding.hint


def test_ksv020_without_an_environment_is_silent():
    ctx = CheckContext(environment=None, options=ValidateOptions(), schema_set=None, all_objects=[])
    assert list(kserve_features.mtls_off_check([], ctx)) == []


def test_ksv020_with_no_config_file_here_names_the_file_without_a_position(tmp_path, monkeypatch):
    """Objects checked away from the repo (validate PATH in another folder): the file is still named."""
    monkeypatch.chdir(tmp_path)
    env = dataclasses.replace(repo_environment("staging"), mtls=False)
    ctx = CheckContext(environment=env, options=ValidateOptions(), schema_set=None, all_objects=[])
    [finding] = kserve_features.mtls_off_check([], ctx)
    assert (finding.path, finding.line, finding.column, finding.location()) == ("kserve-gitops.yaml", 0, 0, "kserve-gitops.yaml")
    assert finding.environment == "staging"
