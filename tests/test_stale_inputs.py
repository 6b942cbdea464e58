"""validate never judges overlays synthesized from other inputs, nor against versions it has no schemas for."""

from __future__ import annotations

import json
from pathlib import Path

from kserve_gitops.synth.output import STAMP, stamp_bytes

MODEL = "models/sklearn-iris/inferenceservice.yaml"


def test_synth_writes_a_stamp_of_every_input(example_repo: Path, cli) -> None:
    assert cli("synth").exit_code == 0
    stamp = json.loads((example_repo / STAMP).read_text())
    assert "kserve-gitops.yaml" in stamp["inputs"] and MODEL in stamp["inputs"]
    assert stamp["tool"].startswith("kserve-gitops ")
    assert cli("synth", "--check").exit_code == 0


def test_a_model_changed_without_synth_fails_validate_at_the_model_file(example_repo: Path, cli) -> None:
    path = example_repo / MODEL
    path.write_text(path.read_text().replace("cpu: 100m", "cpu: 200m", 1))
    result = cli("validate", "--no-admission", "--no-policy")
    assert result.exit_code == 1, result.output
    assert f"{MODEL}:1:1" in result.output and "overlays are stale: run synth" in result.output
    # synth --check sees it too (the stamp is part of the output)
    check = cli("synth", "--check")
    assert check.exit_code == 1 and STAMP in check.output
    assert cli("synth").exit_code == 0
    again = cli("validate", "--no-admission", "--no-policy", "-e", "prod")
    assert again.exit_code == 0, again.output


def test_stale_output_is_reported_in_every_format(example_repo: Path, cli) -> None:
    config = example_repo / "kserve-gitops.yaml"
    config.write_text(config.read_text().replace("errorRatePercent: 10", "errorRatePercent: 11", 1))
    (example_repo / "models" / "sklearn-iris" / "dev.yaml").write_text("spec: {}\n")
    result = cli("validate", "--no-admission", "--no-policy", "-o", "json")
    assert result.exit_code == 1
    findings = json.loads(result.output)["findings"]
    assert {(f["rule"], f["path"]) for f in findings} >= {("stale-output", "kserve-gitops.yaml"), ("stale-output", "models/sklearn-iris/dev.yaml")}
    sarif = cli("validate", "--no-admission", "--no-policy", "-o", "sarif")
    assert sarif.exit_code == 1 and "overlays are stale: run synth" in sarif.output


def test_an_edit_that_cannot_change_the_output_is_not_stale(example_repo: Path, cli) -> None:
    # a comment and a byte-order mark parse to the same documents: synth would write the same bytes
    path = example_repo / MODEL
    text = path.read_text()
    path.write_bytes(b"\xef\xbb\xbf# owner: the search team\n" + text.encode())
    assert cli("synth", "--check").exit_code == 0
    result = cli("validate", "--no-admission", "--no-policy", "-e", "prod")
    assert result.exit_code == 0 and "stale" not in result.output, result.output
    path.write_text(text.replace("cpu: 100m", "cpu: 101m", 1))
    assert cli("synth", "--check").exit_code == 1


def test_a_removed_model_or_a_missing_stamp_is_stale(example_repo: Path, cli) -> None:
    (example_repo / "models" / "sklearn-iris" / "staging.yaml").unlink()
    result = cli("validate", "--no-admission", "--no-policy")
    assert result.exit_code == 1 and "models/sklearn-iris/staging.yaml" in result.output
    (example_repo / STAMP).unlink()
    result = cli("validate", "--no-admission", "--no-policy")
    assert result.exit_code == 1 and "is missing" in result.output


def test_an_environment_on_an_unknown_kserve_version_fails_naming_the_versions_it_has(example_repo: Path, cli) -> None:
    config = example_repo / "kserve-gitops.yaml"
    config.write_text(config.read_text().replace("version: v0.20.0", "version: v0.99.0", 1))
    # the overlays are otherwise current: only the version is unknown
    (example_repo / STAMP).write_bytes(stamp_bytes(example_repo))
    result = cli("validate", "--no-admission", "--no-policy", "-e", "dev")
    assert result.exit_code == 2, result.output
    assert "no CRDs of KServe v0.99.0" in result.output and "v0.14.1" in result.output and "v0.20.0" in result.output


def test_an_environment_on_an_unknown_kubernetes_version_fails(example_repo: Path, cli) -> None:
    config = example_repo / "kserve-gitops.yaml"
    config.write_text(config.read_text().replace('kubernetesVersion: "1.32"', 'kubernetesVersion: "1.99"', 1))
    (example_repo / STAMP).write_bytes(stamp_bytes(example_repo))
    result = cli("validate", "--no-admission", "--no-policy", "-e", "dev")
    assert result.exit_code != 0, result.output
    assert "1.99" in result.output
