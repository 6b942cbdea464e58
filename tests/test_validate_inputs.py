"""validate PATH...: files, folders, kustomize folders and stdin through the real CLI process, and the
kubeconform-style options (--strict, --ignore-missing-schemas, --skip, --no-schemas, --summary)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import REPO, run_cli_process

EXAMPLES = Path(__file__).resolve().parent / "examples"
NEG = EXAMPLES / "negative"
POS = EXAMPLES / "positive"



def validate_cli(*args: str, **kw):
    """``kserve-gitops validate`` as a process, schema and KServe checks only (policies and the admission
    stage have their own tests)."""
    return run_cli_process("validate", *args, "--no-policy", "--no-admission", **kw)

def findings(run) -> list[dict]:
    return json.loads(run.stdout)["findings"]


def test_stdin_is_validated_with_line_numbers() -> None:
    text = (NEG / "schema-type" / "input.yaml").read_text()
    run = validate_cli("-", "--kserve-version", "v0.20.0", "-o", "json", cwd=REPO, input=text)
    assert run.returncode == 1, run.stderr
    [f] = findings(run)
    assert (f["path"], f["line"], f["column"], f["jsonPath"]) == ("<stdin>", 7, 5, "spec.predictor.minReplicas")


def test_directory_is_walked_recursively_and_kustomizations_rendered(tmp_path: Path) -> None:
    tree = tmp_path / "manifests"
    shutil.copytree(POS / "kustomize-dir", tree / "app")
    (tree / "app" / "case.yaml").unlink()
    shutil.copy(NEG / "schema-type" / "input.yaml", tree / "nested" / "deeper" / "bad.yaml") if (tree / "nested" / "deeper").mkdir(parents=True) is None else None
    shutil.copy(POS / "core-list-and-json" / "deployment.json", tree / "nested" / "deployment.json")
    (tree / ".hidden").mkdir()
    (tree / ".hidden" / "junk.yaml").write_text("not: [valid")
    run = validate_cli(str(tree), "--kserve-version", "v0.20.0", "-o", "json", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    report = json.loads(run.stdout)
    assert report["environments"][0]["objects"] == 4  # 2 rendered + bad.yaml + deployment.json
    [f] = report["findings"]
    assert f["path"] == "manifests/nested/deeper/bad.yaml" and f["line"] == 7


def test_kustomize_folder_findings_point_at_the_resource_file(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(POS / "kustomize-dir", app)
    isvc = app / "isvc.yaml"
    isvc.write_text(isvc.read_text().replace("storageUri: s3://bucket/iris", "storageUri: 42"))
    run = validate_cli("app", "--kserve-version", "v0.20.0", "-o", "json", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    [f] = findings(run)
    assert (f["path"], f["line"], f["jsonPath"]) == ("app/isvc.yaml", 10, "spec.predictor.model.storageUri")
    assert f["object"]["namespace"] == "models"  # the rendered object, namespace set by kustomize


def test_broken_kustomization_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    run = validate_cli(str(tmp_path), cwd=tmp_path)
    assert run.returncode == 2
    assert "kustomize" in run.stderr


def test_a_file_that_does_not_parse_is_a_finding_and_the_others_are_checked(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n")
    (tmp_path / "bad.json").write_text('{"a": }')
    shutil.copy(NEG / "schema-type" / "input.yaml", tmp_path / "wrong-type.yaml")
    run = validate_cli("bad.yaml", "bad.json", "wrong-type.yaml", "--kserve-version", "v0.20.0", "-o", "json", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    got = [(f["rule"], f["path"], f["line"]) for f in findings(run)]
    assert got == [("yaml-syntax", "bad.json", 1), ("yaml-syntax", "bad.yaml", 2), ("schema", "wrong-type.yaml", 7)]
    sarif = validate_cli("bad.yaml", "-o", "sarif", cwd=tmp_path)
    assert sarif.returncode == 1 and '"ruleId": "yaml-syntax"' in sarif.stdout


def test_a_missing_path_is_bad_usage(tmp_path: Path) -> None:
    run = validate_cli("nope.yaml", cwd=tmp_path)
    assert run.returncode == 2 and "nope.yaml" in run.stderr


def test_strict_turns_on_unknown_fields_and_duplicate_keys() -> None:
    for case in ("strict-unknown-field", "duplicate-key"):
        path = str(NEG / case / "input.yaml")
        assert validate_cli(path, cwd=REPO).returncode == 0
        strict = validate_cli(path, "--strict", "-o", "json", cwd=REPO)
        assert strict.returncode == 1
        assert findings(strict)[0]["rule"] in ("schema", "duplicate-key")


def test_missing_schema_error_unless_ignored_and_skip() -> None:
    path = str(NEG / "missing-schema" / "input.yaml")
    assert validate_cli(path, cwd=REPO).returncode == 1
    ignored = validate_cli(path, "--ignore-missing-schemas", "-o", "json", cwd=REPO)
    assert ignored.returncode == 0
    assert [f["severity"] for f in findings(ignored)] == ["warning"]
    assert validate_cli(path, "--ignore-missing-schemas", "--fail-on-warn", cwd=REPO).returncode == 1
    skipped = validate_cli(path, "--skip", "Gadget,Widget", "-o", "json", cwd=REPO)
    assert skipped.returncode == 0 and findings(skipped) == []


def test_no_schemas_still_runs_kserve_checks() -> None:
    run = validate_cli(str(NEG / "container-name" / "input.yaml"), "--no-schemas", "-o", "json", cwd=REPO)
    assert run.returncode == 1
    assert [f["rule"] for f in findings(run)] == ["KSV007"]


def test_schemas_option_adds_a_crd_file(tmp_path: Path) -> None:
    crd = POS / "core-list-and-json" / "crd.yaml"
    widget = NEG / "missing-schema" / "input.yaml"
    run = validate_cli(str(widget), "--schemas", str(crd), cwd=REPO)
    assert run.returncode == 0, run.stdout + run.stderr


def test_help_documents_exit_codes_and_summary_output() -> None:
    run = validate_cli("--help", cwd=REPO)
    assert run.returncode == 0
    for text in ("0  clean", "1  findings", "2  bad usage", "3  a missing tool", "--engine", "sarif", "--policy-engine"):
        assert text in run.stdout
    summary = validate_cli(str(NEG / "schema-type" / "input.yaml"), "--summary", cwd=REPO)
    assert summary.returncode == 1
    assert "input.yaml:7" not in summary.stdout and "files" in summary.stdout


def test_environment_versions_apply_to_paths() -> None:
    path = str(NEG / "version-field" / "input.yaml")
    staging = validate_cli(path, "-e", "staging", cwd=REPO)
    prod = validate_cli(path, "-e", "prod", "-o", "json", cwd=REPO)
    assert staging.returncode == 0, staging.stdout
    assert prod.returncode == 1 and findings(prod)[0]["rule"] == "KSV003"
    assert validate_cli(path, "-e", "prod", "-e", "dev", cwd=REPO).returncode == 2


def test_paths_default_to_the_kubernetes_version_of_kserve_gitops_yaml(tmp_path, monkeypatch) -> None:
    """Without -e or --kubernetes-version, files are checked against the newest version the platform runs."""
    from kserve_gitops.validate import run as validate_run

    seen = []
    real = validate_run.SchemaSet

    def spy(*args, **kwargs):
        seen.append(kwargs.get("kubernetes_version"))
        return real(*args, **kwargs)

    monkeypatch.setattr(validate_run, "SchemaSet", spy)
    (tmp_path / "kserve-gitops.yaml").write_text((REPO / "kserve-gitops.yaml").read_text())
    manifest = tmp_path / "cm.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n")
    report = validate_run.validate_paths([str(manifest)], validate_run.ValidateOptions(policies=False), root=tmp_path)
    assert report.exit_code() == 0
    assert seen == ["1.32"]  # dev and staging run 1.32, prod 1.31
    seen.clear()
    validate_run.validate_paths([str(manifest)], validate_run.ValidateOptions(policies=False), root=tmp_path / "elsewhere")
    assert seen == [None]  # no kserve-gitops.yaml: the newest bundled version


def test_an_unknown_kserve_version_is_an_error_naming_the_known_ones(tmp_path: Path) -> None:
    # Never the CRDs of another release (KServe main used to stand in for any version it did not know).
    path = str(NEG / "schema-type" / "input.yaml")
    run = validate_cli(path, "--kserve-version", "v0.15.0", cwd=REPO)
    assert run.returncode == 2
    assert "no CRDs of KServe v0.15.0 (CRDs found for: v0.14.1, v0.20.0)" in run.stderr
    assert "schemas fetch --kserve v0.15.0" in run.stderr
