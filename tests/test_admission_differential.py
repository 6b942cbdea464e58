"""The admission stage's CRD validation against kubectl-validate, object by object.

Both tools are given the same objects (``tests/admission-crd-corpus/``) and the same CRDs from
``../shared/crds`` (KServe v0.20.0's InferenceService, KServe's LLMInferenceService, Istio, Argo Workflows,
cert-manager), and must reach the same verdict on each: CEL rules (``x-kubernetes-validations``), formats
and bounds, enums, required fields, patterns, ObjectMeta. kubectl-validate v0.0.4 runs the API server's
registry strategy (apiextensions-apiserver 1.30) on local CRDs only: ``--local-crds`` and ``--version``,
no kubeconfig, and every proxy variable pointing at a closed port, so it cannot reach a cluster or GitHub.

Each corpus file says what it is in its first comment lines:

    # expect: valid | invalid [cel|schema]   the API server's verdict, and for a refusal which check refuses
    # differs: CLASS                         a documented difference between the two tools (DIFFERENCES)

For an object without ``differs``, both tools must give the expected verdict, our helper must file each
refusal under the expected stage (``cel`` -> KSA002, ``schema`` -> KSA001), no KServe webhook may be what
refuses it, and every message must be kubectl-validate's word for word (both print the strategy's
``field.Error``). An object with ``differs`` must show exactly the documented difference, so that an
exclusion can neither hide another disagreement nor outlive the difference it documents.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kserve_gitops.results import ERROR
from kserve_gitops.tools import find_tool
from kserve_gitops.validate.admission import Verdict, admit

from conftest import SHARED_CRDS, run_cli_process

CORPUS = Path(__file__).parent / "admission-crd-corpus"
KSERVE_VERSION = "v0.20.0"


def _llminferenceservice_crd() -> Path:
    """KServe v0.20.0's own copy when the shared folder has it, else the main branch's (SOURCES.md)."""
    released = SHARED_CRDS / "kserve" / KSERVE_VERSION / "serving.kserve.io_llminferenceservices.yaml"
    return released if released.is_file() else SHARED_CRDS / "kserve" / "serving.kserve.io_llminferenceservices.yaml"


CRD_FILES = [
    SHARED_CRDS / "kserve" / KSERVE_VERSION / "serving.kserve.io_inferenceservices.yaml",
    _llminferenceservice_crd(),
    SHARED_CRDS / "istio" / "crd-all.gen.yaml",
    SHARED_CRDS / "argo-workflows" / "argoproj.io_workflows.yaml",
    SHARED_CRDS / "argo-workflows" / "argoproj.io_workflowtemplates.yaml",
    SHARED_CRDS / "cert-manager" / "cert-manager.io_certificates.yaml",
    SHARED_CRDS / "cert-manager" / "cert-manager.io_issuers.yaml",
    SHARED_CRDS / "cert-manager" / "cert-manager.io_clusterissuers.yaml",
]

# A closed port: any attempt of kubectl-validate to fetch something fails at once instead of going out.
NO_NETWORK = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Difference:
    kubectl_validate: str  # its verdict: "valid" or "invalid"
    helper: str  # ours
    why: str


# Where the two tools legitimately disagree. Each class is excluded from the comparison explicitly, and each
# corpus object in it must still show exactly this difference.
DIFFERENCES = {
    "unknown-field": Difference(
        kubectl_validate="invalid",
        helper="valid",
        why="a field the schema does not name: kubectl-validate decodes strictly and refuses it ('value provided "
        "for unknown field'). The API server's verdict depends on the client's fieldValidation: by its own "
        "default (Warn) it prunes the field (in spec) or drops it (in metadata), warns and accepts the object, "
        "and that is what the helper models; a client asking for Strict (kubectl's --validate default) is "
        "refused. kserve-gitops reports unknown fields in its schema stage under --strict.",
    ),
    "generate-name": Difference(
        kubectl_validate="invalid",
        helper="valid",
        why="kubectl-validate v0.0.4 calls rest.BeforeCreate without generating the name first and fails with "
        "'metadata.name was not generated' (kubernetes-sigs/kubectl-validate#121); the API server generates it "
        "from generateName before it validates.",
    ),
    "kserve-defaulter": Difference(
        kubectl_validate="invalid",
        helper="valid",
        why="a string field the CRD requires (env[].name, modelFormat.name) left out of an InferenceService: "
        "kubectl-validate applies the CRD alone and refuses it ('Required value'). In a cluster KServe's "
        "defaulting webhook runs first and answers with the object re-encoded from its Go type, whose field "
        "has no omitempty: the patch adds name: \"\", and the CRD's required check then passes. (The pod "
        "fails later, at the controller.)",
    ),
    "kserve-webhook": Difference(
        kubectl_validate="valid",
        helper="invalid",
        why="CRD validation does not bound format: int32/int64 before Kubernetes 1.36 (kubernetes/kubernetes#136582; "
        "apiextensions-apiserver strips the format before validating), so kubectl-validate accepts 99999999999 "
        "in an int32 field, as the API server's CRD stage does. In a cluster the object never gets there: "
        "KServe's mutating webhook decodes it into its Go type first and refuses it (KSA003/KSA010). "
        "kubectl-validate has no webhooks.",
    ),
}


# kubectl-validate v0.0.4 links apiextensions-apiserver 1.30; our helper links 1.34. Two messages changed
# their wording in between (same field, same check), and only these two are translated:
#  - a nil value is no longer quoted: Invalid value: "null": some validation rules were not checked ...
#  - a non-integer number in an integer field names the JSON types, not the format and the Go type:
#    must be of type int32: "float64"  ->  must be of type integer: "number"
WORDING_SINCE_1_30 = [
    (re.compile(r'^Invalid value: "null": '), "Invalid value: null: "),
    (re.compile(r'^Invalid value: "float64": (\S+) in body must be of type int(32|64): "float64"$'), r'Invalid value: "number": \1 in body must be of type integer: "number"'),
]


def same_words(message: str) -> str:
    """kubectl-validate's message in the 1.34 API server's words."""
    for old, new in WORDING_SINCE_1_30:
        message = old.sub(new, message)
    return message


EXPECT = re.compile(r"^# expect: (valid|invalid)(?: (cel|schema))?\s*$", re.M)
DIFFERS = re.compile(r"^# differs: (\S+)\s*$", re.M)


@dataclass(frozen=True)
class Case:
    path: Path
    expect: str
    stage: str | None
    differs: str | None
    obj: dict[str, Any]

    @property
    def id(self) -> str:
        return self.path.relative_to(CORPUS).as_posix()


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CORPUS.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        expect = EXPECT.search(text)
        assert expect, f"{path}: no '# expect: valid|invalid [cel|schema]' line"
        differs = DIFFERS.search(text)
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
        assert len(docs) == 1, f"{path}: one object per file"
        cases.append(Case(path, expect.group(1), expect.group(2), differs.group(1) if differs else None, docs[0]))
    return cases


CASES = load_cases()


@dataclass(frozen=True)
class Outcome:
    statuses: list[dict[str, Any]]  # kubectl-validate's metav1.Status for the object
    verdicts: list[Verdict]  # our helper's answer

    @property
    def kubectl_validate(self) -> str:
        return "invalid" if any(s.get("status") != "Success" for s in self.statuses) else "valid"

    @property
    def helper(self) -> str:
        return "invalid" if any(v.severity == ERROR for v in self.verdicts) else "valid"

    @property
    def crd_errors(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.severity == ERROR and v.stage in ("schema", "cel")]

    @property
    def webhook_errors(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.severity == ERROR and v.stage not in ("schema", "cel")]

    @property
    def causes(self) -> list[tuple[str, str]]:
        out = []
        for status in self.statuses:
            causes = (status.get("details") or {}).get("causes") or []
            # a cause for the whole object has the field "<nil>" (a nil field.Path); ours leaves it empty
            out += [(c.get("field", "").replace("<nil>", ""), same_words(c.get("message", ""))) for c in causes]
            if status.get("status") != "Success" and not causes:
                out.append(("", same_words(status.get("message", ""))))
        return out


def run_kubectl_validate(files: list[Path], crd_dir: Path, home: Path) -> dict[str, list[dict[str, Any]]]:
    tool = find_tool("kubectl-validate")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_") and k.lower() not in ("no_proxy", "kubeconfig")}
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
        env[name] = NO_NETWORK
    env["KUBECONFIG"] = str(home / "no-kubeconfig")  # does not exist: no cluster to ask
    env["HOME"] = str(home)
    proc = subprocess.run(
        [tool, *map(str, files), "--local-crds", str(crd_dir), "--version", "1.30", "--output", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    # 0: every object valid, 1: some object invalid; anything else is the tool failing, not a verdict.
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    work = tmp_path_factory.mktemp("differential")
    crd_dir = work / "crds"  # --local-crds reads every YAML file of one folder: exactly these CRDs
    crd_dir.mkdir()
    for i, crd in enumerate(CRD_FILES):
        shutil.copyfile(crd, crd_dir / f"{i:02d}-{crd.name}")
    statuses = run_kubectl_validate([c.path for c in CASES], crd_dir, work)
    answers = admit([c.obj for c in CASES], kserve_version=KSERVE_VERSION, crd_files=CRD_FILES)
    return {c.id: Outcome(statuses[str(c.path)], answer) for c, answer in zip(CASES, answers)}


def test_the_corpus_covers_every_crd_family_with_both_verdicts() -> None:
    assert len(CASES) >= 40
    families: dict[str, set[str]] = {}
    for case in CASES:
        families.setdefault(case.path.parent.name, set()).add(case.expect)
    assert families.keys() >= {"inferenceservice", "llminferenceservice", "istio", "argo-workflows", "cert-manager", "metadata"}
    assert all(verdicts == {"valid", "invalid"} for verdicts in families.values()), families
    compared = [c for c in CASES if c.differs is None]
    assert {c.stage for c in compared if c.expect == "invalid"} == {"cel", "schema"}
    assert sum(c.stage == "cel" for c in compared) >= 20
    # every exclusion is a documented class, and every documented class is still needed
    assert {c.differs for c in CASES if c.differs} == set(DIFFERENCES)


def test_kubectl_validate_stayed_offline(outcomes: dict[str, Outcome]) -> None:
    messages = [m for outcome in outcomes.values() for _, m in outcome.causes]
    offline = ("failed to download", "kubeconfig cluster", "dial tcp", "proxyconnect", "githubusercontent")
    assert not [m for m in messages if any(word in m.lower() for word in offline)]


@pytest.mark.parametrize("case", [c for c in CASES if c.differs is None], ids=lambda c: c.id)
def test_both_tools_reach_the_same_verdict(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    assert (outcome.kubectl_validate, outcome.helper) == (case.expect, case.expect), (outcome.causes, outcome.verdicts)
    # the verdict is the CRD's (schema, formats, CEL), not one of KServe's webhooks
    assert not outcome.webhook_errors
    if case.expect == "invalid":
        # labelled as the API server's check that refused: CEL rule -> KSA002, schema -> KSA001
        assert {v.stage for v in outcome.crd_errors} == {case.stage}, outcome.crd_errors
        assert {v.rule for v in outcome.crd_errors} == {"KSA002" if case.stage == "cel" else "KSA001"}
        # the API server's words: every message ours gives, kubectl-validate gives too, at the same field
        causes = outcome.causes
        for verdict in outcome.crd_errors:
            same = [field for field, message in causes if message == verdict.message]
            assert same, (verdict, causes)
            assert verdict.field in same or "" in same, (verdict, causes)


@pytest.mark.parametrize("case", [c for c in CASES if c.differs is not None], ids=lambda c: c.id)
def test_a_documented_difference_is_exactly_that_difference(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    difference = DIFFERENCES[case.differs]  # type: ignore[index]
    assert (outcome.kubectl_validate, outcome.helper) == (difference.kubectl_validate, difference.helper), (
        outcome.causes,
        outcome.verdicts,
    )
    assert outcome.helper == case.expect  # ours is the cluster's verdict
    if case.differs == "unknown-field":
        assert all("unknown field" in message for _, message in outcome.causes), outcome.causes
    elif case.differs == "generate-name":
        assert [m for _, m in outcome.causes] == ["metadata.name was not generated"]
    elif case.differs == "kserve-defaulter":
        assert {m for _, m in outcome.causes} == {"Required value"} and not outcome.verdicts, (outcome.causes, outcome.verdicts)
    elif case.differs == "kserve-webhook":
        assert outcome.webhook_errors and not outcome.crd_errors, outcome.verdicts
        assert {v.rule for v in outcome.webhook_errors} <= {"KSA003", "KSA010"}
        assert all("cannot unmarshal number" in v.message for v in outcome.webhook_errors)


# --- through the CLI: the rule ids and lines a user sees ------------------------------------------------

CLI_MANIFEST = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  namespace: models
spec:
  predictor:
    maxReplicas: 99999999999
    model:
      modelFormat:
        name: sklearn
      storageUri: s3://models/iris
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: Iris_Classifier
  namespace: models
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: s3://models/iris
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: both-selectors
  namespace: models
spec:
  selector:
    matchLabels:
      app: iris
  targetRef:
    group: gateway.networking.k8s.io
    kind: Gateway
    name: inference
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: registry
  namespace: models
spec:
  hosts: ["registry.example.com"]
  resolution: DNS
  ports:
    - number: 443
      name: https
      protocol: TLS
    - number: 70000
      name: https-alt
      protocol: TLS
"""


def line_of(text: str, needle: str) -> int:
    (line,) = [i for i, content in enumerate(text.splitlines(), start=1) if needle in content]
    return line


def test_validate_reports_crd_refusals_with_their_rule_and_line(tmp_path: Path) -> None:
    manifest = tmp_path / "refused.yaml"
    manifest.write_text(CLI_MANIFEST, encoding="utf-8")
    proc = run_cli_process("validate", str(manifest), "--kserve-version", KSERVE_VERSION, "--no-policy", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    found = sorted(
        (f["rule"], f["object"]["name"], f["line"], f["jsonPath"])
        for f in json.loads(proc.stdout)["findings"]
        if f["engine"] == "admission"
    )
    assert found == sorted(
        [
            # int32 overflow: the API server's CRD stage (Kubernetes 1.34) does not bound int32, KServe's
            # defaulting webhook refuses to decode it (see DIFFERENCES["kserve-webhook"])
            ("KSA003", "iris", line_of(CLI_MANIFEST, "maxReplicas: 99999999999"), "spec.predictor.maxReplicas"),
            # the API server's schema stage: ObjectMeta's name rule, after KServe's defaulter let it through
            ("KSA001", "Iris_Classifier", line_of(CLI_MANIFEST, "name: Iris_Classifier"), "metadata.name"),
            # CEL rules of Istio's CRDs, at the object (spec) and at a list element's field
            ("KSA002", "both-selectors", line_of(CLI_MANIFEST, "name: both-selectors") + 2, "spec"),
            ("KSA002", "registry", line_of(CLI_MANIFEST, "number: 70000"), "spec.ports[1].number"),
        ]
    )
    messages = {f["rule"]: f["message"] for f in json.loads(proc.stdout)["findings"] if f["engine"] == "admission"}
    assert "cannot unmarshal number 99999999999" in messages["KSA003"] and "of type int32" in messages["KSA003"]
    assert messages["KSA001"].startswith('Invalid value: "Iris_Classifier": a lowercase RFC 1123 subdomain')
