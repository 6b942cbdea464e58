"""Compatibility with the real conftest (pinned, built into .tools/bin): the same policies and inputs give
the same failures and warnings under ``conftest test`` as under ``kserve-gitops policy eval``, and the
same test results under ``conftest verify`` as under ``kserve-gitops policy test``."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import yaml

from kserve_gitops.tools import find_tool
from kserve_gitops.validate.policy import LIBRARY_DIR, load_bundle, make_engine
from kserve_gitops.validate.policy.evaluate import policy_data
from policy_corpus import PARAMS, violating_objects
from test_policy_engines import CONFTEST_STYLE, DEPLOYMENT, GOOD, write

REPO = Path(__file__).resolve().parents[1]


def conftest(*args: str, cwd: Path) -> tuple[int, list]:
    proc = subprocess.run([find_tool("conftest"), *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def conftest_results(payload: list) -> Counter:
    out: Counter = Counter()
    for entry in payload:
        for severity, key in (("error", "failures"), ("warning", "warnings")):
            for item in entry.get(key) or []:
                out[(severity, item["msg"])] += 1
    return out


def our_results(report_json: dict) -> Counter:
    return Counter((f["severity"], f["message"]) for f in report_json["findings"])


@pytest.fixture
def conftest_style(tmp_path: Path) -> Path:
    write(tmp_path / "policy", CONFTEST_STYLE)
    (tmp_path / "deploy.yaml").write_text(yaml.safe_dump_all([DEPLOYMENT, GOOD, {**DEPLOYMENT, "metadata": {"name": "web", "labels": {"app": "web"}}}]))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(GOOD))
    return tmp_path


@pytest.mark.parametrize("namespaces", [[], ["main"], ["other"]])
def test_conftest_test_and_policy_eval_agree(conftest_style, cli, monkeypatch, namespaces):
    monkeypatch.chdir(conftest_style)
    ns_args = [a for ns in namespaces for a in ("--namespace", ns)] or ["--all-namespaces"]
    code, payload = conftest("test", "-p", "policy", *ns_args, "-o", "json", "deploy.yaml", "config.yaml", cwd=conftest_style)
    ours = cli("policy", "eval", "-p", "policy", *[a for ns in namespaces for a in ("-n", ns)], "-o", "json", "deploy.yaml", "config.yaml")
    assert conftest_results(payload) and our_results(json.loads(ours.output)) == conftest_results(payload)
    assert ours.exit_code == code


def test_conftest_combine_and_fail_on_warn_agree(conftest_style, cli, monkeypatch):
    monkeypatch.chdir(conftest_style)
    code, payload = conftest("test", "-p", "policy", "--namespace", "other", "--combine", "--fail-on-warn", "-o", "json", "deploy.yaml", "config.yaml", cwd=conftest_style)
    ours = cli("policy", "eval", "-p", "policy", "-n", "other", "--combine", "--fail-on-warn", "-o", "json", "deploy.yaml", "config.yaml")
    assert our_results(json.loads(ours.output)) == conftest_results(payload) == Counter({("warning", "4 documents"): 1})
    assert code == ours.exit_code == 1


def test_conftest_test_and_our_library_agree(tmp_path):
    """The KServe library under conftest, with data.inventory and data.params given as a --data file."""
    objects = violating_objects()
    (tmp_path / "objects.yaml").write_text(yaml.safe_dump_all(objects))
    (tmp_path / "data.json").write_text(json.dumps(policy_data(objects, PARAMS)))
    _, payload = conftest("test", "-p", str(LIBRARY_DIR), "--all-namespaces", "--data", "data.json", "-o", "json", "objects.yaml", cwd=tmp_path)
    bundle = load_bundle([LIBRARY_DIR])
    with make_engine("regorus", bundle) as engine:
        engine.set_data(policy_data(objects, PARAMS))
        ours = Counter((r.severity, r.message) for results in engine.evaluate(objects) for r in results)
    assert len(ours) > 20 and ours == conftest_results(payload)


def test_conftest_verify_and_policy_test_agree_on_the_library(cli, example_repo):
    code, payload = conftest("verify", "-p", str(LIBRARY_DIR), "-o", "json", cwd=example_repo)
    result = cli("policy", "test")
    passed = sum(entry.get("successes", 0) for entry in payload)
    assert code == result.exit_code == 0
    assert result.output.strip().splitlines()[-1] == f"{passed} tests, {passed} passed, 0 failed, 0 errors"


def test_conftest_verify_and_policy_test_agree_on_failures(tmp_path, cli):
    write(tmp_path, {
        "p.rego": "package p\n\nimport rego.v1\n\ndeny contains \"x\" if input.x\n",
        "p_test.rego": (
            "package p_test\n\nimport rego.v1\n\nimport data.p\n\n"
            "test_denies if p.deny == {\"x\"} with input as {\"x\": true}\n\n"
            "test_wrong if count(p.deny) == 1 with input as {}\n\n"
            "test_undefined if data.p.nothing\n"
        ),
    })
    code, payload = conftest("verify", "-p", ".", "-o", "json", cwd=tmp_path)
    failing = sorted(item["msg"] for entry in payload for item in entry.get("failures") or [])
    result = cli("policy", "test", str(tmp_path))
    assert code == result.exit_code == 1
    ours = sorted(
        "data." + line.split("data.", 1)[1] for line in result.output.splitlines() if line.startswith("FAIL")
    )
    assert ours == failing == ["data.p_test.test_undefined", "data.p_test.test_wrong"]
