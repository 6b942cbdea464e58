"""``kserve-gitops policy ...`` and the policy check inside ``validate``, as users run them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from conftest import run_cli_process
from policy_corpus import compliant_environment, violating_objects

REPO = Path(__file__).resolve().parents[1]


def test_policy_test_prints_a_line_per_test_and_a_summary(example_repo, cli):
    result = cli("policy", "test")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1].endswith("passed, 0 failed, 0 errors")
    assert any(line.startswith("PASS ") and "/policy_library/canary_test.rego:" in line for line in lines)


def test_policy_test_failure_exits_1(tmp_path, cli):
    (tmp_path / "p.rego").write_text("package p\n\nimport rego.v1\n\ndeny contains 1 if false\n")
    (tmp_path / "p_test.rego").write_text("package p_test\n\nimport rego.v1\n\ntest_ok if true\n\ntest_broken if false\n")
    result = cli("policy", "test", "--no-builtin", str(tmp_path))
    assert result.exit_code == 1
    assert "FAIL" in result.output and "1 tests, 1 passed" not in result.output
    assert result.output.strip().splitlines()[-1] == "2 tests, 1 passed, 1 failed, 0 errors"


def test_policy_list(example_repo, cli):
    result = cli("policy", "list")
    assert result.exit_code == 0
    rows = [line.split("\t") for line in result.output.strip().splitlines()]
    assert ["canary-mode", "error", "kserve.canary", "builtin"] == rows[4][:4]
    assert len(rows) == 25


def test_policy_eval_files_with_environment_params(example_repo, cli):
    Path("bad.yaml").write_text(yaml.safe_dump_all(violating_objects()))
    result = cli("policy", "eval", "bad.yaml", "-e", "prod", "-o", "json")
    assert result.exit_code == 1
    payload = json.loads(result.output)
    findings = payload["findings"]
    rules = {f["rule"] for f in findings}
    assert {"image-tag", "owner-labels", "argocd-project"} <= rules
    located = [f for f in findings if f["rule"] == "owner-labels"][0]
    assert located["path"] == "bad.yaml" and located["line"] > 1


def test_policy_check_clean_files_exit_0(example_repo, cli):
    Path("good.yaml").write_text(yaml.safe_dump_all(compliant_environment()))
    result = cli("policy", "check", "good.yaml", "-n", "kserve.labels", "-n", "kserve.canary")
    assert result.exit_code == 0, result.output


def test_validate_runs_policies_with_no_unwaived_failures(example_repo, cli):
    result = cli("validate", "-o", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    text = json.dumps(payload)
    assert '"waived"' in text and "run-as-non-root" in text


def test_validate_policy_engine_opa_matches(example_repo, cli):
    ours = json.loads(cli("validate", "-o", "json").output)
    theirs = json.loads(cli("validate", "-o", "json", "--policy-engine", "opa").output)

    def policy_findings(payload):
        return sorted(
            (f["rule"], f["severity"], f["message"], f["path"], f["line"])
            for f in payload["findings"]
            if f["engine"].startswith("policy")
        )

    assert policy_findings(ours) and policy_findings(ours) == policy_findings(theirs)


def test_validate_no_policy_and_broken_policy_exit_3(example_repo):
    broken = Path("policies/broken.rego")
    broken.write_text("package broken\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := undefined_function(input)\n}\n")
    proc = run_cli_process("validate", "-e", "dev", cwd=example_repo)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "policies/broken.rego:6" in proc.stderr
    proc = run_cli_process("validate", "-e", "dev", "--no-policy", cwd=example_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_expired_waiver_fails_validate(example_repo, cli):
    path = Path("policies/exceptions.yaml")
    path.write_text(path.read_text().replace("expires: 2027-01-31", "expires: 2020-01-01"))
    result = cli("validate", "-e", "dev")
    assert result.exit_code == 1
    assert "waiver-expired" in result.output and "error [dev] InferenceService/models-dev/custom-transformer" in result.output


def test_unused_waiver_warns_and_fails_with_fail_on_warn(example_repo, cli):
    path = Path("policies/exceptions.yaml")
    path.write_text(path.read_text().replace("name: custom-transformer", "name: no-such-model"))
    result = cli("validate", "-e", "dev", "--no-schemas")
    assert "waiver-unused" in result.output and result.exit_code == 1  # the finding is no longer waived
    path.write_text(path.read_text().replace("rule: run-as-non-root", "rule: image-tag"))
    assert cli("validate", "-e", "dev", "--no-schemas").exit_code == 1  # run-as-non-root unwaived again


def test_unreachable_opa_url_exit_3(example_repo):
    from kserve_gitops.validate.policy.opa import free_port

    proc = run_cli_process("policy", "test", "--opa-url", f"http://127.0.0.1:{free_port()}", cwd=example_repo)
    assert proc.returncode == 3
    assert "unreachable" in proc.stderr
