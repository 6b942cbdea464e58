"""The built-in policy library and a repo's policies/: added rules, a package overridden by name, packages
disabled in policies/library.yaml (and listed in every report), where policy list says each rule comes from."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kserve_gitops.validate.policy import LIBRARY_DIR, load_policies
from policy_corpus import violating_objects

EXTRA = """package acme.naming

import rego.v1

deny contains msg if {
\tinput.kind == "InferenceService"
\tnot startswith(input.metadata.name, "acme-")
\tmsg := sprintf("%s is not named acme-*", [input.metadata.name])
}
"""

EXTRA_TEST = """package acme.naming_test

import rego.v1

import data.acme.naming

test_named if count(naming.deny) == 0 with input as {"kind": "InferenceService", "metadata": {"name": "acme-x"}}
"""

# kserve.replicas replaced: only this rule runs for the package
OVERRIDE = """package kserve.replicas

import rego.v1

deny contains "replicas: the repo's own rule" if input.kind == "InferenceService"
"""


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    policies = tmp_path / "policies"
    policies.mkdir(exist_ok=True)
    for name, text in files.items():
        (policies / name).write_text(text)
    return policies


def test_the_library_ships_in_the_package():
    assert LIBRARY_DIR.parent.name == "kserve_gitops" and (LIBRARY_DIR / "lib.rego").is_file()
    bundle = load_policies([])
    assert all(m.is_builtin for m in bundle.modules)
    assert "kserve.replicas" in bundle.rule_packages() and not bundle.roots


def test_repo_rules_add_and_a_package_of_the_same_name_overrides(tmp_path):
    policies = _repo(tmp_path, {"naming.rego": EXTRA, "naming_test.rego": EXTRA_TEST, "replicas.rego": OVERRIDE})
    bundle = load_policies([policies])
    assert bundle.overridden == ["kserve.replicas"]
    replicas = [m for m in bundle.modules if m.package in ("kserve.replicas", "kserve.replicas_test")]
    assert [Path(m.origin).name for m in replicas] == ["replicas.rego"]
    assert not any(m.is_builtin for m in replicas)  # the library's module and its tests are gone
    assert {"acme.naming", "kserve.images"} <= set(bundle.rule_packages())


def test_policy_list_names_the_source_of_each_rule(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repo(tmp_path, {"naming.rego": EXTRA, "replicas.rego": OVERRIDE, "library.yaml": "disable: [kserve.canary]\n"})
    result = cli("policy", "list")
    assert result.exit_code == 0, result.output
    rows = {r[0]: r for r in (line.split("\t") for line in result.output.strip().splitlines())}
    assert rows["image-tag"][3] == "builtin"
    assert rows["canary-mode"][3] == "builtin (disabled)"
    assert rows["acme.naming.deny"][3] == "policies/naming.rego"
    assert rows["kserve.replicas.deny"][3] == "policies/replicas.rego" and "replicas-max" not in rows


def test_policy_test_runs_the_library_and_the_repo(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _repo(tmp_path, {"naming.rego": EXTRA, "naming_test.rego": EXTRA_TEST})
    result = cli("policy", "test")
    assert result.exit_code == 0, result.output
    assert "PASS policies/naming_test.rego:" in result.output
    assert "/policy_library/canary_test.rego:" in result.output
    only = cli("policy", "test", "--no-builtin", "policies")
    assert only.output.strip().splitlines()[-1] == "1 tests, 1 passed, 0 failed, 0 errors"


def test_disabled_packages_do_not_run_and_are_reported(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(yaml.safe_dump_all(violating_objects()))
    before = json.loads(cli("policy", "eval", "bad.yaml", "-o", "json").output)["findings"]
    assert any(f["rule"].startswith("canary-") for f in before)
    _repo(tmp_path, {"library.yaml": "# off here\ndisable:\n  - kserve.canary\n"})
    result = cli("policy", "eval", "bad.yaml", "-o", "json")
    findings = json.loads(result.output)["findings"]
    assert not any(f["rule"].startswith("canary-") for f in findings)
    (disabled,) = [f for f in findings if f["rule"] == "policy-disabled"]
    assert disabled["severity"] == "waived" and "kserve.canary" in disabled["message"]
    assert disabled["path"] == "policies/library.yaml" and disabled["line"] == 3
    named = json.loads(cli("policy", "eval", "bad.yaml", "-n", "kserve.canary", "-o", "json").output)["findings"]
    assert any(f["rule"].startswith("canary-") for f in named)  # --namespace runs it anyway


def test_an_unknown_package_in_library_yaml_is_bad_input(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("x.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    _repo(tmp_path, {"library.yaml": "disable: [kserve.nope]\n"})
    result = cli("policy", "eval", "x.yaml")
    assert result.exit_code == 2
    assert "policies/library.yaml:1" in result.output and "kserve.nope" in result.output


def test_validate_of_an_init_repo_lists_the_disabled_package(tmp_path, cli, monkeypatch):
    root = tmp_path / "repo"
    assert cli("init", str(root)).exit_code == 0
    monkeypatch.chdir(root)
    (root / "policies" / "library.yaml").write_text("disable: [kserve.labels]\n")
    result = cli("validate", "-e", "dev", "--no-schemas", "--no-admission")
    assert result.exit_code == 0, result.output
    assert "policies/library.yaml:1:11: waived [dev]" in result.output and "kserve.labels is disabled" in result.output
