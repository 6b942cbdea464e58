"""The KSV findings the check tables prove reach the report unchanged: through ``kserve-gitops validate``
on a file, on standard input, on a kustomize folder and with ``-e ENV``, and through the source map that
points a rendered overlay's object back at the model file a data scientist edits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO
from ksv_table import case, context_for, docs, marks

from kserve_gitops.inputs.models import Model
from kserve_gitops.inputs.yamlsrc import clear_position_cache
from kserve_gitops.results import LoadedObject
from kserve_gitops.validate.checks import kserve
from kserve_gitops.validate.inputs import parse_rendered
from kserve_gitops.validate.sources import SourceMap


@pytest.fixture(autouse=True)
def fresh_positions():
    """Positions are cached by path: each test writes its own files under the same relative names."""
    clear_position_cache()
    yield
    clear_position_cache()


def validate_json(cli, *args: str, input: str | None = None) -> tuple[int, list[dict]]:
    """``validate ... -o json`` without the policy gate and the admission stage (they have their own
    tests): the schema check, the KServe checks and the credential scan."""
    result = cli("validate", *args, "--no-policy", "--no-admission", "-o", "json", input=input)
    return result.exit_code, json.loads(result.output)["findings"]


def located(findings: list[dict]) -> list[tuple]:
    return [(f["rule"], f["severity"], f["path"], f["line"], f["column"], f["jsonPath"]) for f in findings]


SEVERAL = docs(
    """
    apiVersion: serving.kserve.io/v1beta1
    kind: InferenceService
    metadata:
      name: iris
      labels:
        team: ml-  # <- label
    spec:
      predictor:
        sklearn:  # <- framework
          storageUri: s3://bucket/iris
          name: sklearn  # <- container
      transformer:
        containers:
          - name: kserve-container
            image: ghcr.io/acme/transformer:1.0
            args: ["--predictor_host=api.acme.example.com"]
            #      ^ host
    """,
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
          ports:
            - name: http1  # <- port
              containerPort: 8081
      canary:  # <- canary
        - trafficPercent: 10
          predictor:
            name: ranker-next
            model:
              name: kserve-container  # v0.20.0's CRD requires the canary's container name
              modelFormat: {name: triton}
    """,
)


def expected(text: str, path: str, rows: list[tuple[str, str, str, str]]) -> list[tuple]:
    where = marks(text)
    return [(rule, severity, path, *where[tag], json_path) for rule, severity, tag, json_path in rows]


SEVERAL_ON_V0_14_1 = [
    ("KSV009", "error", "label", "metadata.labels.team"),
    ("KSV002", "warning", "framework", "spec.predictor.sklearn"),
    ("KSV007", "error", "container", "spec.predictor.sklearn.name"),
    ("KSV006", "error", "host", "spec.transformer.containers[0].args[0]"),
    ("KSV012", "error", "port", "spec.predictor.model.ports[0].name"),
    ("KSV003", "error", "canary", "spec.canary"),
]


def test_file_findings_reach_the_json_report(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("input.yaml").write_text(SEVERAL)
    code, findings = validate_json(cli, "input.yaml", "--kserve-version", "v0.14.1")
    assert code == 1
    want = sorted(expected(SEVERAL, "input.yaml", SEVERAL_ON_V0_14_1), key=lambda f: (f[3], f[4]))
    assert located(findings) == want
    assert {f["engine"] for f in findings} == {""}
    assert [f["object"]["name"] for f in findings] == ["iris"] * 4 + ["ranker"] * 2
    # v0.20.0 has the list canary: the same file minus that one finding
    code, findings = validate_json(cli, "input.yaml", "--kserve-version", "v0.20.0")
    assert code == 1
    assert located(findings) == [f for f in want if f[0] != "KSV003"]


def test_stdin_findings_point_into_the_stream(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, findings = validate_json(cli, "-", "--kserve-version", "v0.14.1", input=SEVERAL)
    assert code == 1
    want = sorted(expected(SEVERAL, "<stdin>", SEVERAL_ON_V0_14_1), key=lambda f: (f[3], f[4]))
    assert located(findings) == want


def test_text_report_prints_file_line_column_and_rule(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = docs(
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
        """
    )
    Path("isvc.yaml").write_text(text)
    result = cli("validate", "isvc.yaml", "--kserve-version", "v0.20.0", "--no-policy", "--no-admission")
    assert result.exit_code == 1
    line, column = marks(text)["a"]
    [first] = [row for row in result.output.splitlines() if row.startswith("isvc.yaml:")]
    assert first.startswith(f"isvc.yaml:{line}:{column}: error InferenceService/iris spec.predictor.model.name: container name 'predictor'")
    assert first.endswith("(KSV007)")


RAW_ONLY = docs(
    """
    apiVersion: serving.kserve.io/v1beta1
    kind: InferenceService
    metadata:
      name: iris
      namespace: models-prod
    spec:
      predictor:
        minReplicas: 0  # <- min
        canaryTrafficPercent: 10  # <- percent
        model:
          modelFormat: {name: sklearn}
          storageUri: s3://acme-models-prod/sklearn/iris/v1
    """
)


@pytest.mark.parametrize(
    "env, code, rows",
    [
        ("dev", 0, []),  # Knative: scale to zero and canaries by revision are what it does
        ("staging", 1, [("KSV005", "error", "min", "spec.predictor.minReplicas"),
                        ("KSV004", "warning", "percent", "spec.predictor.canaryTrafficPercent")]),
        ("prod", 1, [("KSV005", "error", "min", "spec.predictor.minReplicas"),
                     ("KSV004", "warning", "percent", "spec.predictor.canaryTrafficPercent")]),
    ],
)
def test_environment_mode_decides_raw_deployment_findings(cli, tmp_path, monkeypatch, env, code, rows):
    monkeypatch.chdir(tmp_path)
    shutil.copy(REPO / "kserve-gitops.yaml", tmp_path / "kserve-gitops.yaml")
    Path("iris.yaml").write_text(RAW_ONLY)
    got_code, findings = validate_json(cli, "iris.yaml", "-e", env)
    assert got_code == code
    assert located(findings) == expected(RAW_ONLY, "iris.yaml", rows)
    assert {f["environment"] for f in findings} <= {env}
    messages = [f["message"] for f in findings]
    mode = {"staging": "Standard", "prod": "RawDeployment"}.get(env)
    assert all(f"in {mode} mode" in m for m in messages)


def test_kustomize_folder_findings_point_at_the_resource_file(cli, tmp_path, monkeypatch):
    """A folder with a kustomization is rendered first; the finding names the file that defines the object."""
    monkeypatch.chdir(tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    (app / "kustomization.yaml").write_text("namespace: models\nresources: [isvc.yaml]\n")
    text = docs(
        """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata:
          name: flowers
        spec:
          predictor:
            model:
              modelFormat: {name: tensorflow}
              storageUri: s3://bucket/flowers
          transformer:
            containers:
              - name: kserve-container
                image: ghcr.io/acme/transformer:1.0
                env:
                  - name: PREDICTOR_HOST
                    value: models.acme.example.com  # <- a
        """
    )
    (app / "isvc.yaml").write_text(text)
    code, findings = validate_json(cli, "app", "--kserve-version", "v0.20.0")
    assert code == 1
    assert located(findings) == expected(text, "app/isvc.yaml", [("KSV006", "error", "a", "spec.transformer.containers[0].env[0].value")])
    assert findings[0]["object"]["namespace"] == "models"  # the rendered object: kustomize set its namespace


# --- a rendered overlay, pointed back at the model's files ---------------------------------------------------

BASE = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: pytorch-cifar10
spec:
  predictor:
    minReplicas: 1
    model:
      name: cifar  # <- name
      modelFormat: {name: pytorch}
      storageUri: s3://acme-models/pytorch/cifar10/v1
"""

STAGING = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: pytorch-cifar10
spec:
  predictor:
    minReplicas: 0  # <- min
    canaryTrafficPercent: 20  # <- percent
"""

RENDERED = """
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: pytorch-cifar10
  namespace: models-staging
spec:
  predictor:
    canaryTrafficPercent: 20
    minReplicas: 0
    model:
      modelFormat: {name: pytorch}
      name: cifar
      storageUri: s3://acme-models/pytorch/cifar10/v1
"""


def rendered_staging(tmp_path: Path) -> list[LoadedObject]:
    """overlays/staging as validate reads it: kustomize's stream, each object attached to its model's files."""
    folder = tmp_path / "models" / "pytorch-cifar10"
    folder.mkdir(parents=True)
    (folder / "inferenceservice.yaml").write_text(docs(BASE))
    (folder / "staging.yaml").write_text(docs(STAGING))
    (tmp_path / "charts").mkdir()
    model = Model(
        name="pytorch-cifar10",
        base_path="models/pytorch-cifar10/inferenceservice.yaml",
        base={},
        environments=("staging",),
        overlays={"staging": ("models/pytorch-cifar10/staging.yaml", {})},
    )
    objects = parse_rendered(docs(RENDERED), environment="staging", path="overlays/staging")
    sources = SourceMap(tmp_path, [model])
    for obj in objects:
        sources.attach(obj)
    return objects


def test_rendered_overlay_findings_point_at_the_file_that_sets_the_field(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    objects = rendered_staging(tmp_path)
    ctx = context_for(case("staging", "", env="staging"), objects)
    found = [*kserve.raw_deployment_check(objects, ctx), *kserve.container_name_check(objects, ctx)]
    got = sorted((f.rule, f.severity, f.path, f.line, f.column, f.json_path, f.environment) for f in found)
    base, overlay = marks(docs(BASE)), marks(docs(STAGING))
    assert got == sorted([
        # set in staging.yaml: the finding is there
        ("KSV004", "warning", "models/pytorch-cifar10/staging.yaml", *overlay["percent"], "spec.predictor.canaryTrafficPercent", "staging"),
        ("KSV005", "error", "models/pytorch-cifar10/staging.yaml", *overlay["min"], "spec.predictor.minReplicas", "staging"),
        # only the base sets it: inferenceservice.yaml
        ("KSV007", "error", "models/pytorch-cifar10/inferenceservice.yaml", *base["name"], "spec.predictor.model.name", "staging"),
    ])
    assert {f.object.namespace for f in found} == {"models-staging"}


# --- every KSV rule has its table -----------------------------------------------------------------------------


def test_every_ksv_rule_has_rows_that_fire_and_rows_that_do_not():
    """A rule added to RULE_DESCRIPTIONS without a table fails here; so does a table with only one side."""
    import test_ksv_features as features
    import test_ksv_names as names
    import test_ksv_rules as rules

    from kserve_gitops.validate.checks import kserve_features

    tables = {
        "KSV001": rules.KSV001, "KSV002": rules.KSV002, "KSV003": rules.KSV003,
        "KSV004": rules.RAW_DEPLOYMENT, "KSV005": rules.RAW_DEPLOYMENT,
        "KSV006": rules.KSV006, "KSV007": rules.KSV007,
        "KSV008": names.KSV008, "KSV009": names.KSV009, "KSV010": names.KSV010,
        "KSV011": features.KSV011, "KSV012": features.KSV012,
    }
    assert set(tables) | {"KSV020"} == set(kserve.RULE_DESCRIPTIONS) | set(kserve_features.RULE_DESCRIPTIONS)
    for rule, rows in tables.items():
        assert any(e.rule == rule for row in rows for e in row.expect), f"{rule}: no row fires"
        assert any(not row.expect for row in rows), f"{rule}: no near-miss row"
        assert all(e.rule == rule for row in rows for e in row.expect if rule not in ("KSV004", "KSV005"))
    assert {fires for *_, fires in features.KSV020} == {True, False}
