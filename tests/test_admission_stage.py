"""The admission stage as a stage: how it reports, how it fails, UPDATE against a git base.

The per-rule corpus is in test_admission_corpus.py, CEL and formats against kubectl-validate in
test_admission_differential.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from kserve_gitops.validate.admission import Verdict, admit, locate_verdict, parse_field

from conftest import REPO, run_cli_process

PYTHONPATH_ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
  namespace: models
spec:
  predictor:
    model:
      modelFormat:
        name: sklearn
      storageUri: s3://bucket/iris
      env:
        - name: PYTHONPATH
          value: /tmp
"""
PYTHONPATH_MESSAGE = 'the InferenceService "iris" is invalid: setting PYTHONPATH in container "" is not allowed for security reasons'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_webhook_denial_is_a_finding_with_kserves_words_at_the_line(tmp_path: Path) -> None:
    model = write(tmp_path / "iris.yaml", PYTHONPATH_ISVC)
    proc = run_cli_process("validate", str(model), "--kserve-version", "v0.20.0", "--no-policy", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    findings = [f for f in json.loads(proc.stdout)["findings"] if f["engine"] == "admission"]
    assert [(f["rule"], f["message"], f["line"]) for f in findings] == [("KSA004", PYTHONPATH_MESSAGE, 13)]
    assert findings[0]["hint"] == "refused by KServe v0.20.0 (inferenceservice.kserve-webhook-server.validator, CREATE)"


@pytest.mark.parametrize("fmt,needle", [("text", "(KSA004)"), ("sarif", '"ruleId": "KSA004"'), ("junit", "KSA004"), ("github", "KSA004")])
def test_every_report_format_carries_the_admission_rule(tmp_path: Path, fmt: str, needle: str) -> None:
    model = write(tmp_path / "iris.yaml", PYTHONPATH_ISVC)
    proc = run_cli_process("validate", str(model), "--kserve-version", "v0.20.0", "--no-policy", "-o", fmt, cwd=tmp_path)
    assert proc.returncode == 1
    assert needle in proc.stdout
    assert "PYTHONPATH" in proc.stdout


def test_no_admission_turns_the_stage_off(tmp_path: Path) -> None:
    model = write(tmp_path / "iris.yaml", PYTHONPATH_ISVC)
    proc = run_cli_process("validate", str(model), "--kserve-version", "v0.20.0", "--no-policy", "--no-admission", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert not json.loads(proc.stdout)["findings"]


def test_the_same_object_passes_the_older_release_that_lacks_the_rule(tmp_path: Path) -> None:
    # KServe v0.14.1 has no blocked-environment-variable rule: each environment is judged by its own release.
    model = write(tmp_path / "iris.yaml", PYTHONPATH_ISVC)
    proc = run_cli_process("validate", str(model), "--kserve-version", "v0.14.1", "--no-policy", "-o", "json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout


def fake_helper(tools: Path, version: str, script: str) -> None:
    path = tools / f"kserve-admission-{version}"
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize(
    "script,words",
    [
        ("echo boom >&2; exit 2\n", "failed (exit 2)"),
        ("cat >/dev/null; echo '{\"done\": 0}'\n", "answered for 0 of 1 objects"),
        ("cat >/dev/null; echo 'not json'\n", "not JSON"),
        ("cat >/dev/null; exit 0\n", "answered for 0 of 1 objects"),
    ],
)
def test_a_helper_that_fails_or_answers_short_fails_the_run(tmp_path: Path, script: str, words: str) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    fake_helper(tools, "v0.20.0", script)
    model = write(tmp_path / "iris.yaml", PYTHONPATH_ISVC.replace("PYTHONPATH", "LOG_LEVEL"))
    proc = run_cli_process("validate", str(model), "--kserve-version", "v0.20.0", "--no-policy", cwd=tmp_path, env={"KSERVE_GITOPS_TOOLS": str(tools)})
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert words in proc.stderr


def test_a_missing_helper_is_exit_3_with_the_install_hint(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    model = write(tmp_path / "iris.yaml", PYTHONPATH_ISVC)
    env = {"KSERVE_GITOPS_TOOLS": str(tools), "PATH": os.defpath}
    proc = run_cli_process("validate", str(model), "--kserve-version", "v0.20.0", "--no-policy", cwd=tmp_path, env=env)
    assert proc.returncode == 3
    assert "kserve-admission-v0.20.0 is not installed" in proc.stderr
    assert "make tools" in proc.stderr


def test_the_helper_answers_every_object_in_order() -> None:
    good = yaml.safe_load(PYTHONPATH_ISVC.replace("PYTHONPATH", "LOG_LEVEL"))
    bad = yaml.safe_load(PYTHONPATH_ISVC)
    core = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "models"}}
    verdicts = admit([good, bad, core, good], kserve_version="v0.20.0")
    assert [[v.message for v in answer] for answer in verdicts] == [[], [PYTHONPATH_MESSAGE], [], []]


def test_int32_overflow_is_refused_where_the_cluster_refuses_it() -> None:
    # The API server's CRD validation does not bound int32 (kubectl-validate agrees: see the differential
    # test); KServe's mutating webhook refuses the request when it decodes the object into its Go type.
    isvc = yaml.safe_load(PYTHONPATH_ISVC.replace("PYTHONPATH", "LOG_LEVEL"))
    isvc["spec"]["predictor"]["maxReplicas"] = 99999999999
    crd = REPO.parent / "shared" / "crds" / "kserve" / "v0.20.0" / "serving.kserve.io_inferenceservices.yaml"
    (answer,) = admit([isvc], kserve_version="v0.20.0", crd_files=[crd])
    assert [v.rule for v in answer] == ["KSA003"]
    assert "cannot unmarshal number 99999999999" in answer[0].message and "int32" in answer[0].message
    assert locate_verdict(isvc, answer[0]) == ["spec", "predictor", "maxReplicas"]


def test_an_update_that_changes_the_deployment_mode_is_refused() -> None:
    old = yaml.safe_load(PYTHONPATH_ISVC.replace("PYTHONPATH", "LOG_LEVEL"))
    old["metadata"]["annotations"] = {"serving.kserve.io/deploymentMode": "Knative"}
    new = json.loads(json.dumps(old))
    new["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = "Standard"
    create, update = admit([new, new], kserve_version="v0.20.0", deployment_mode="Knative", old=[None, old])
    assert create == []
    assert [(v.rule, v.operation, v.message) for v in update] == [
        ("KSA004", "UPDATE", "update rejected: deploymentMode cannot be changed from 'Knative' to 'Standard'")
    ]
    assert locate_verdict(new, update[0]) == ["metadata", "annotations", "serving.kserve.io/deploymentMode"]


def test_field_paths_parse_like_the_api_servers() -> None:
    assert parse_field("spec.predictor.containers[0].env[12].name") == ["spec", "predictor", "containers", 0, "env", 12, "name"]
    assert parse_field('metadata.annotations[serving.kserve.io/deploymentMode]') == ["metadata", "annotations", "serving.kserve.io/deploymentMode"]
    assert parse_field("") == []


def test_a_canary_named_in_a_message_is_located_by_its_name() -> None:
    isvc = {"spec": {"predictor": {"model": {}}, "canary": [{"predictor": {"name": "a"}}, {"predictor": {"name": "b", "maxReplicas": 3}}]}}
    verdict = Verdict("validator", "inferenceservice.kserve-webhook-server.validator", "error", "", 'canary "b" must not set maxReplicas (canary uses fixed replicas)', "CREATE")
    assert locate_verdict(isvc, verdict) == ["spec", "canary", 1, "predictor", "maxReplicas"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_validate_base_checks_a_mode_change_as_an_update(example_repo: Path) -> None:
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git(example_repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    config = example_repo / "kserve-gitops.yaml"
    text = config.read_text(encoding="utf-8")
    dev = text.index("  dev:")
    mode_at = text.index("deploymentMode:", dev)
    line_end = text.index("\n", mode_at)
    config.write_text(text[:mode_at] + "deploymentMode: RawDeployment" + text[line_end:], encoding="utf-8")
    synth = run_cli_process("synth", cwd=example_repo)
    assert synth.returncode == 0, synth.stderr
    as_create = run_cli_process("validate", "-e", "dev", "--no-policy", "-o", "json", cwd=example_repo)
    created = [f for f in json.loads(as_create.stdout)["findings"] if "deploymentMode cannot be changed" in f["message"]]
    assert created == []
    as_update = run_cli_process("validate", "-e", "dev", "--no-policy", "--base", "HEAD", "-o", "json", cwd=example_repo)
    refused = [f for f in json.loads(as_update.stdout)["findings"] if "deploymentMode cannot be changed" in f["message"]]
    assert refused, as_update.stdout + as_update.stderr
    assert as_update.returncode == 1
    assert {f["rule"] for f in refused} == {"KSA004"}
    assert all("UPDATE" in f["hint"] for f in refused)


def test_a_host_label_over_63_characters_is_reported(tmp_path: Path) -> None:
    long_name = "a-very-long-model-name-that-the-data-science-team-chose"
    text = PYTHONPATH_ISVC.replace("PYTHONPATH", "LOG_LEVEL").replace("name: iris", f"name: {long_name}")
    config = write(
        tmp_path / "kserve-gitops.yaml",
        (REPO / "kserve-gitops.yaml").read_text(encoding="utf-8"),
    )
    model = write(tmp_path / "m.yaml", text)
    proc = run_cli_process("validate", str(model), "-e", "dev", "--no-policy", "-o", "json", cwd=config.parent)
    findings = [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == "KSA013"]
    assert len(findings) == 1, proc.stdout
    assert f"{long_name}-predictor-models" in findings[0]["message"]
    assert findings[0]["line"] == 4


def test_diff_leads_with_what_the_cluster_would_refuse(example_repo: Path) -> None:
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git(example_repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    write(
        example_repo / "models" / "sklearn-iris" / "dev.yaml",
        "spec:\n  predictor:\n    model:\n      env:\n        - name: PYTHONPATH\n          value: /opt/extra\n",
    )
    proc = run_cli_process("diff", cwd=example_repo)
    assert proc.returncode == 0, proc.stderr
    refusal = 'dev: KServe v0.20.0 refuses InferenceService/models-dev/sklearn-iris (UPDATE, KSA004): the InferenceService "sklearn-iris" is invalid: setting PYTHONPATH'
    summary = proc.stdout.split("\n\n")[1]
    assert refusal in summary.splitlines()[1], proc.stdout
    quiet = run_cli_process("diff", "--no-admission", cwd=example_repo)
    assert "refuses" not in quiet.stdout


def test_lifecycle_edits_are_checked_as_updates_of_the_committed_overlays(example_repo: Path) -> None:
    # A predictor renamed without a model change: KServe v0.20.0 refuses it as an UPDATE only.
    from kserve_gitops.operate.lifecycle import FileEdit, check_candidate

    staging = "models/pytorch-cifar10/staging.yaml"
    before = (example_repo / staging).read_text(encoding="utf-8")
    after = before.replace("    name: v1\n", "    name: v1-renamed\n", 1)
    assert after != before
    _, report = check_candidate(example_repo, [FileEdit(staging, before, after)], environments=["staging"])
    refused = [f for f in report.findings if f.rule == "KSA004"]
    assert [f.message for f in refused] == ["predictor.name change requires a model change (e.g. storageUri)"]
    assert refused[0].path.endswith(staging) and "UPDATE" in refused[0].hint
