"""The mutated-object corpus: KServe's admission rules, case by case, for both pinned releases.

``tests/admission-corpus/<version>/{deny,allow}/<case>.yaml`` holds one or more KServe objects (several
where cluster state matters: two runtimes, two caches). Each case is judged twice, and both must agree:

* the real code: ``admit()`` runs the release's own webhooks and the API server's CRD validation
  (``kserve-admission-<version>``) on the file's objects, with the release's CRDs from ../shared/crds;
* ``kserve-gitops validate FILE -o json``, with ``--kserve-version`` or, for a case with a ``# mode:``,
  ``-e`` of an environment in that mode.

A deny case marks each line a denial must point at with ``# expect: KSA00N`` (the column is the key's);
``validate`` must report exactly those (rule, line, column) in that file, with KServe's words. An allow
case must leave the admission stage silent and exit 0.

Case headers (comments): the first line says which KServe rule the case exercises; ``# mode: Knative`` or
``# mode: Standard`` (default: the release's own default, Serverless for both); ``# schemas: <path under
../shared/crds>`` adds a CRD file the release's set lacks (the LocalModelCache CRD); ``# other findings:
RULE ...`` names the error findings of other checks an allow case is known to have (exit 1 then).

The last tests build small platform repos and check that a denial points at the model's own files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from kserve_gitops.inputs import modes
from kserve_gitops.validate.admission import admit
from kserve_gitops.validate.checks.admission import RULE_DESCRIPTIONS

from conftest import REPO, SHARED_CRDS

CORPUS = Path(__file__).resolve().parent / "admission-corpus"
VERSIONS = ("v0.14.1", "v0.20.0")
CASES = sorted(CORPUS.glob("v*/*/*.yaml"))
EXPECT = re.compile(r"#\s*expect:\s*(KSA\d{3})\b")
KEY_START = re.compile(r"^(\s*(?:-\s+)*)\S")


@dataclass
class Case:
    path: Path
    version: str
    verdict: str  # "deny" or "allow"
    rule_comment: str
    mode: str | None
    schemas: list[Path]
    other_findings: set[str]
    marks: set[tuple[str, int, int]] = field(default_factory=set)  # (rule, line, column)
    documents: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.version}/{self.verdict}/{self.path.stem}"

    @property
    def environment(self) -> str | None:
        return env_name(self.mode, self.version) if self.mode else None


def env_name(mode: str, version: str) -> str:
    return f"{modes.current_name(mode).lower()}-{version.replace('.', '-')}"


def load_case(path: Path) -> Case:
    version, verdict = path.parts[-3], path.parts[-2]
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    headers = {m.group(1): m.group(2).strip() for line in lines if (m := re.match(r"^# (mode|schemas|other findings): (.+)$", line))}
    case = Case(
        path=path,
        version=version,
        verdict=verdict,
        rule_comment=lines[0] if lines else "",
        mode=headers.get("mode"),
        schemas=[SHARED_CRDS / p for p in headers.get("schemas", "").split()],
        other_findings=set(headers.get("other findings", "").split("(")[0].split()),
    )
    for number, line in enumerate(lines, start=1):
        if (m := EXPECT.search(line)) is not None:
            case.marks.add((m.group(1), number, KEY_START.match(line).end()))
    case.documents = [d for d in yaml.safe_load_all(text) if d is not None]
    return case


def object_key(obj: dict[str, Any]) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))


@pytest.fixture(scope="module")
def corpus_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A platform file with one environment per (release, deployment mode): what ``-e`` reads."""
    root = tmp_path_factory.mktemp("admission-corpus-repo")
    environments = {
        env_name(mode, version): {
            "cluster": {"name": "corpus", "server": "https://corpus.example"},
            "kserve": {"version": version, "deploymentMode": mode},
            "namespaces": ["models"],
            "storage": {"bucket": "corpus-models", "region": "eu-west-1"},
        }
        for version in VERSIONS
        for mode in (modes.KNATIVE, modes.STANDARD)
    }
    config = {"apiVersion": "kserve-gitops.io/v1alpha1", "kind": "Platform", "project": "corpus", "environments": environments}
    (root / "kserve-gitops.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return root


def real_verdicts(case: Case) -> list[list[Any]]:
    """The release's own webhooks and the API server's CRD validation, called directly."""
    crd_files = sorted((SHARED_CRDS / "kserve" / case.version).glob("*.yaml")) + case.schemas
    deployment_mode = modes.name_for(case.mode, case.version) if case.mode else ""
    return admit(case.documents, kserve_version=case.version, deployment_mode=deployment_mode, crd_files=crd_files)


def run_validate(cli, repo: Path, case: Case) -> tuple[int, list[dict[str, Any]]]:
    args = ["--repo", str(repo), "validate", str(case.path), "-o", "json", "--no-policy", "--ignore-missing-schemas"]
    args += ["-e", case.environment] if case.environment else ["--kserve-version", case.version]
    for schema in case.schemas:
        args += ["--schemas", str(schema)]
    result = cli(*args)
    report = json.loads(result.output)
    assert report["exitCode"] == result.exit_code
    return result.exit_code, report["findings"]


@pytest.mark.parametrize("path", CASES, ids=lambda p: "/".join(p.parts[-3:]).removesuffix(".yaml"))
def test_validate_gives_the_real_codes_verdict_at_the_marked_line(path: Path, cli, corpus_repo: Path) -> None:
    case = load_case(path)
    assert case.rule_comment.startswith("# KServe rule: "), f"{case.id}: the first line says which KServe rule the case exercises"
    assert case.documents, f"{case.id}: no objects"

    real = {object_key(obj): verdicts for obj, verdicts in zip(case.documents, real_verdicts(case))}
    real_errors = {key: sorted((v.rule, v.message) for v in verdicts if v.severity == "error") for key, verdicts in real.items()}
    real_errors = {key: errors for key, errors in real_errors.items() if errors}

    exit_code, findings = run_validate(cli, corpus_repo, case)
    admission = [f for f in findings if f["engine"] == "admission"]
    assert all(Path(f["path"]).resolve() == case.path for f in admission), [f["path"] for f in admission]
    cli_errors: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for f in admission:
        if f["severity"] == "error":
            obj = f["object"]
            key = (obj["kind"], obj.get("namespace") or "", obj["name"])
            cli_errors.setdefault(key, []).append((f["rule"], f["message"]))
    cli_errors = {key: sorted(errors) for key, errors in cli_errors.items()}

    # the same objects refused, by the same rules, in KServe's words
    assert cli_errors == real_errors

    if case.verdict == "deny":
        assert real_errors, f"{case.id}: KServe {case.version} accepts every object of a deny case"
        assert case.marks, f"{case.id}: a deny case marks the line each denial points at (# expect: KSA00N)"
        got = {(f["rule"], f["line"], f["column"]) for f in admission if f["severity"] == "error"}
        assert got == case.marks, f"{case.id}: denials at {sorted(got)}, marked {sorted(case.marks)}"
        assert exit_code == 1
    else:
        assert not case.marks, f"{case.id}: an allow case marks no line"
        assert all(not verdicts for verdicts in real.values()), f"{case.id}: KServe {case.version} says {real}"
        assert admission == []
        others = {f["rule"] for f in findings if f["severity"] == "error"}
        assert others == case.other_findings, f"{case.id}: other checks report {sorted(others)}"
        assert exit_code == (1 if case.other_findings else 0)


def test_the_corpus_covers_every_rule_of_both_releases() -> None:
    cases = [load_case(p) for p in CASES]
    denied = {version: {rule for c in cases if c.version == version for rule, _, _ in c.marks} for version in VERSIONS}
    # KSA002 needs a CEL rule: neither release's pinned CRD set has one. KSA010-KSA012 are v0.20.0's
    # LLMInferenceService webhooks; KSA013 is kserve-gitops' own (tests/test_admission_stage.py).
    common = {"KSA001", "KSA003", "KSA004", "KSA005", "KSA006", "KSA007", "KSA008", "KSA009"}
    assert denied["v0.14.1"] >= common
    assert denied["v0.20.0"] >= common | {"KSA010", "KSA011", "KSA012"}
    assert set().union(*denied.values()) <= set(RULE_DESCRIPTIONS)
    for version in VERSIONS:
        # every webhook the release runs has an accepted object next to its refused ones
        kinds = lambda verdict: {d["kind"] for c in cases if c.version == version and c.verdict == verdict for d in c.documents}  # noqa: E731
        assert kinds("deny") <= kinds("allow"), f"{version}: no valid form of {sorted(kinds('deny') - kinds('allow'))}"


@pytest.mark.parametrize(
    "version,topic",
    [
        ("v0.20.0", "PYTHONPATH"),
        ("v0.20.0", "autoscalerClass"),
        ("v0.20.0", "storageUris"),
        ("v0.20.0", "minReplicas"),
        ("v0.20.0", "implementation"),
        ("v0.20.0", "trafficPercent"),
        ("v0.20.0", "canary-duplicate"),
        ("v0.20.0", "canary-without-name"),
        ("v0.20.0", "canary-in-knative-mode"),
        ("v0.20.0", "isvc-name"),
        ("v0.20.0", "priority-conflict"),
        ("v0.20.0", "inferencegraph"),
        ("v0.20.0", "trainedmodel"),
        ("v0.20.0", "localmodelcache"),
        ("v0.20.0", "llmisvc-"),
        ("v0.20.0", "llmisvcconfig-"),
        ("v0.20.0", "int32-overflow"),
        ("v0.14.1", "autoscaler-class"),
        ("v0.14.1", "minReplicas"),
        ("v0.14.1", "implementation"),
        ("v0.14.1", "isvc-name"),
        ("v0.14.1", "priority-conflict"),
        ("v0.14.1", "inferencegraph"),
        ("v0.14.1", "trainedmodel"),
        ("v0.14.1", "localmodelcache"),
        ("v0.14.1", "int32-overflow"),
    ],
)
def test_the_issue_s_rules_each_have_a_deny_case(version: str, topic: str) -> None:
    names = {p.stem for p in (CORPUS / version / "deny").glob("*.yaml")}
    texts = {p.stem: p.read_text(encoding="utf-8").splitlines()[0] for p in (CORPUS / version / "deny").glob("*.yaml")}
    assert any(topic.lower() in name or topic in texts[name] for name in names), f"{version}: no deny case for {topic}"


# --- a platform repo: denials point at the model's own files ---------------------------------------------

PLATFORM = """\
apiVersion: kserve-gitops.io/v1alpha1
kind: Platform
project: corpus
promotionOrder: [dev, prod]
environments:
  dev:
    cluster: {name: dev, server: https://dev.example}
    kserve: {version: v0.20.0, deploymentMode: Knative}
    namespaces: [models-dev]
    storage: {bucket: models-dev, region: eu-west-1}
  prod:
    cluster: {name: prod, server: https://prod.example}
    kserve: {version: v0.14.1, deploymentMode: Standard}
    namespaces: [models-prod]
    storage: {bucket: models-prod, region: eu-west-1}
"""

ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: s3://models-dev/iris/v1
"""


def platform_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    # the example repo's pinned runtime images for both releases
    releases = yaml.safe_dump({"kserveReleases": yaml.safe_load((REPO / "kserve-gitops.yaml").read_text())["kserveReleases"]})
    for rel, text in {"kserve-gitops.yaml": PLATFORM + releases, **files}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def repo_admission_findings(cli, root: Path) -> list[tuple[str, str, str, int, int]]:
    assert cli("--repo", str(root), "synth").exit_code == 0
    result = cli("--repo", str(root), "validate", "-o", "json", "--no-policy")
    report = json.loads(result.output)
    assert result.exit_code == report["exitCode"]
    return sorted(
        (f["environment"], f["rule"], str(Path(f["path"]).resolve().relative_to(root.resolve())), f["line"], f["column"])
        for f in report["findings"]
        if f["engine"] == "admission"
    )


def test_a_denial_of_an_environment_file_points_at_its_line(cli, tmp_path: Path) -> None:
    root = platform_repo(
        tmp_path / "platform",
        {
            "models/iris/inferenceservice.yaml": ISVC,
            "models/iris/dev.yaml": "spec:\n  predictor:\n    maxReplicas: 1\n    minReplicas: 3\n",
            "models/iris/prod.yaml": "spec:\n  predictor:\n    minReplicas: 2\n    maxReplicas: 4\n    model:\n      storageUri: s3://models-prod/iris/v1\n",
        },
    )
    assert repo_admission_findings(cli, root) == [("dev", "KSA004", "models/iris/dev.yaml", 4, 5)]


def test_a_denial_of_the_base_manifest_points_at_it_only_where_the_release_refuses(cli, tmp_path: Path) -> None:
    pythonpath = ISVC + "      env:\n        - name: PYTHONPATH\n          value: /opt/extra\n"
    root = platform_repo(
        tmp_path / "platform",
        {
            "models/iris/inferenceservice.yaml": pythonpath,
            "models/iris/dev.yaml": "spec:\n  predictor:\n    minReplicas: 1\n",
            "models/iris/prod.yaml": "spec:\n  predictor:\n    minReplicas: 2\n    maxReplicas: 4\n",
        },
    )
    # v0.20.0 (dev) blocks PYTHONPATH; v0.14.1 (prod) has no such rule
    assert repo_admission_findings(cli, root) == [("dev", "KSA004", "models/iris/inferenceservice.yaml", 12, 11)]


def test_a_denial_of_an_annotation_an_environment_file_adds_points_at_it(cli, tmp_path: Path) -> None:
    root = platform_repo(
        tmp_path / "platform",
        {
            "models/iris/inferenceservice.yaml": ISVC,
            "models/iris/dev.yaml": "metadata:\n  annotations:\n    serving.kserve.io/autoscalerClass: keda\nspec:\n  predictor:\n    minReplicas: 1\n",
            "models/iris/prod.yaml": "metadata:\n  annotations:\n    serving.kserve.io/autoscalerClass: keda\nspec:\n  predictor:\n    minReplicas: 2\n    maxReplicas: 4\n",
        },
    )
    # keda is a class v0.20.0 knows and v0.14.1 does not
    assert repo_admission_findings(cli, root) == [("prod", "KSA004", "models/iris/prod.yaml", 3, 5)]
