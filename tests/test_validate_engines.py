"""Differential test: the built-in engine (jsonschema-rs) and the real pinned kubeconform binary, over the
same converted schemas, must give the same verdict for every object of the example corpus: this repo's
rendered overlays (per environment) and tests/examples."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import REPO, run_cli_process
from kserve_gitops.inputs.config import load_config
from kserve_gitops.render.kustomize import render
from kserve_gitops.validate.kubeconform import schema_file_name
from kserve_gitops.validate.run import ValidateOptions, default_crd_roots, parse_rendered, validate_objects, validate_paths
from kserve_gitops.validate.schemas import CrdLibrary

EXAMPLES = Path(__file__).resolve().parent / "examples"
SCHEMA_RULES = ("schema", "schema-missing")



def validate_cli(*args: str, **kw):
    """``kserve-gitops validate`` as a process, schema and KServe checks only (policies and the admission
    stage have their own tests)."""
    return run_cli_process("validate", *args, "--no-policy", "--no-admission", **kw)

def verdicts(findings) -> dict[tuple[str, str], bool]:
    out: dict[tuple[str, str], bool] = {}
    for f in findings:
        if f.rule in SCHEMA_RULES and f.severity == "error":
            out[(f.path, str(f.object))] = True
    return out


def corpus_files() -> list[str]:
    files = []
    for case in sorted((EXAMPLES / "positive").iterdir()) + sorted((EXAMPLES / "negative").iterdir()):
        if (case / "kustomization.yaml").is_file():
            files.append(str(case))
        else:
            files.extend(str(p) for p in sorted(case.iterdir()) if p.name != "case.yaml")
    return files


@pytest.mark.parametrize("strict", [False, True], ids=["loose", "strict"])
def test_engines_agree_on_the_example_corpus(strict: bool) -> None:
    results = {}
    for engine in ("builtin", "kubeconform"):
        options = ValidateOptions(kserve_version="v0.20.0", strict=strict, schema_engine=engine, policies=False)
        report = validate_paths(corpus_files(), options)
        results[engine] = verdicts(report.findings)
    assert results["builtin"] == results["kubeconform"]
    assert len(results["builtin"]) >= 6  # the corpus has invalid objects: the comparison is not vacuous


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_engines_agree_on_each_rendered_environment(env: str) -> None:
    config = load_config(REPO / "kserve-gitops.yaml")
    environment = config.environment(env)
    objects = parse_rendered(render(REPO / "overlays" / env), environment=env, path=f"overlays/{env}")
    library = CrdLibrary(roots=default_crd_roots(REPO))
    for kserve_version in (environment.kserve_version, "v0.14.1"):  # also the cross-version case
        got = {}
        for engine in ("builtin", "kubeconform"):
            options = ValidateOptions(strict=True, schema_engine=engine, kserve_version=kserve_version, policies=False)
            result = validate_objects(objects, env=environment, options=options, library=library)
            got[engine] = verdicts(result.findings)
        assert got["builtin"] == got["kubeconform"], (env, kserve_version)


def test_kubeconform_layout_names() -> None:
    assert schema_file_name("serving.kserve.io/v1beta1", "InferenceService") == "serving.kserve.io/inferenceservice_v1beta1.json"
    assert schema_file_name("v1", "ConfigMap") == "core/configmap-v1.json"


def test_cli_engine_kubeconform_reports_the_same_place(tmp_path: Path) -> None:
    case = EXAMPLES / "negative" / "schema-type" / "input.yaml"
    builtin = validate_cli(str(case), "--kserve-version", "v0.20.0", "-o", "json", cwd=REPO)
    kubeconform = validate_cli(str(case), "--kserve-version", "v0.20.0", "-o", "json", "--engine", "kubeconform", cwd=REPO)
    assert builtin.returncode == kubeconform.returncode == 1, kubeconform.stderr
    import json

    b, k = json.loads(builtin.stdout)["findings"], json.loads(kubeconform.stdout)["findings"]
    assert [(f["path"], f["line"], f["jsonPath"]) for f in b] == [(f["path"], f["line"], f["jsonPath"]) for f in k]
    assert k[0]["engine"] == "kubeconform"


def test_missing_kubeconform_is_an_environment_problem(tmp_path: Path) -> None:
    case = EXAMPLES / "positive" / "isvc-canary-list-v0.20" / "input.yaml"
    run = validate_cli(
        str(case), "--engine", "kubeconform", cwd=REPO, env={"KSERVE_GITOPS_KUBECONFORM": str(tmp_path / "nope")}
    )
    assert run.returncode == 3
    assert "kubeconform" in run.stderr
