"""overlays/argocd and overlays/automation: validated as rows of their own and diffed with a summary line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(example_repo: Path) -> Path:
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "config", "user.email", "test@example.com")
    git(example_repo, "config", "user.name", "test")
    git(example_repo, "add", "-A")
    git(example_repo, "commit", "-q", "-m", "initial")
    return example_repo


def _turn_off_staging_sync(repo: Path) -> None:
    config = repo / "kserve-gitops.yaml"
    text = config.read_text()
    marker = "  prod:"
    head, tail = text.split(marker, 1)
    assert head.rstrip().endswith("automatedSync: true")
    config.write_text(head[: head.rindex("automatedSync: true")] + "automatedSync: false" + head[head.rindex("automatedSync: true") + len("automatedSync: true"):] + marker + tail)


def test_turning_off_automated_sync_is_a_change_diff_names(repo: Path, cli) -> None:
    _turn_off_staging_sync(repo)
    result = cli("diff", "--exit-code", "--no-admission")
    assert result.exit_code == 1, result.output
    assert "no changes" not in result.output
    assert "argocd: ApplicationSet acme-ml-environments automated sync turned off for staging" in result.output
    assert "argocd:" in result.output.split("summary:", 1)[1]


def test_control_plane_rows_are_validated_without_a_false_template_label(example_repo: Path, cli) -> None:
    result = cli("validate", "--no-admission", "--no-policy", "-o", "json")
    report = json.loads(result.output)
    rows = {env["name"]: env for env in report["environments"]}
    assert {"argocd", "automation"} <= set(rows)
    assert rows["argocd"]["objects"] > 0 and rows["automation"]["objects"] > 0
    control = [f for f in report["findings"] if f.get("environment") in ("argocd", "automation")]
    assert not [f for f in control if f["rule"] == "KSV009"], control
    assert not [f for f in control if f["severity"] == "error"], control


def test_control_plane_findings_are_located_at_a_file_line(example_repo: Path, cli) -> None:
    # an ArgoCD Application the CRD refuses: the finding names the chart file and line, not a folder
    chart = next((example_repo / "charts" / "argocd").glob("appproject-*.yaml"))
    chart.write_text(chart.read_text().replace("spec:\n", "spec:\n  notAField: 1\n", 1))
    result = cli("validate", "--no-admission", "--no-policy", "--strict", "-o", "json")
    findings = [f for f in json.loads(result.output)["findings"] if f.get("environment") == "argocd"]
    assert findings, result.output
    assert all(f["path"].endswith(".yaml") and f["line"] > 0 for f in findings), findings


def test_one_environment_skips_the_control_plane(example_repo: Path, cli) -> None:
    result = cli("validate", "--no-admission", "--no-policy", "-e", "prod", "-o", "json")
    assert [env["name"] for env in json.loads(result.output)["environments"]] == ["prod"]
