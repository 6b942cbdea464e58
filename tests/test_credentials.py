"""Credentials never pass and never print: the KSV013 rule, redaction in every report format and in
errors, and synth (so canary and promote too) refusing to copy one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from kserve_gitops.credentials import has_credential, redact

from conftest import REPO, run_cli_process

CASE = REPO / "tests" / "examples" / "negative" / "credentials" / "input.yaml"
SECRETS = ("wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY", "hunter2", "AKIAIOSFODNN7EXAMPLE", "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu")


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "sarif", "github"])
def test_no_report_format_prints_a_credential(fmt: str) -> None:
    proc = run_cli_process("validate", str(CASE), "--kserve-version", "v0.20.0", "-o", fmt, cwd=REPO)
    assert proc.returncode == 1
    assert "KSV013" in proc.stdout
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr


def test_a_message_that_quotes_a_uri_is_redacted_whichever_check_wrote_it() -> None:
    # KServe v0.14.1's webhook quotes a storageUri it does not support, word for word.
    text = "storageUri, must be one of: [gs://, s3://]. StorageUri [ftp://svc:p4ss@host/m] is not supported."
    assert redact(text) == "storageUri, must be one of: [gs://, s3://]. StorageUri [ftp://***@host/m] is not supported."
    assert redact("key AKIAIOSFODNN7EXAMPLE") == "key ***"


@pytest.mark.parametrize(
    "value,found",
    [
        ("s3://AKIAIOSFODNN7EXAMPLE:secret@bucket/m", True),
        ("https://user:pw@host/x", True),
        ("https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/x.git", True),
        ("s3://acme-models-dev/iris/v1", False),
        ("http://mlflow.mlflow.svc.cluster.local:5000", False),
        ("team@acme.example", False),
        ("https://alice@example.com/path", False),  # a user name alone is not a credential
    ],
)
def test_credential_shapes(value: str, found: bool) -> None:
    assert bool(has_credential(value)) is found


def test_synth_refuses_to_copy_a_credential_and_writes_nothing(example_repo: Path) -> None:
    before = {p: p.read_bytes() for p in (example_repo / "overlays").rglob("*") if p.is_file()}
    dev = example_repo / "models" / "sklearn-iris" / "dev.yaml"
    dev.write_text("spec:\n  predictor:\n    model:\n      storageUri: s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY@acme-models-dev/iris\n")
    proc = run_cli_process("synth", cwd=example_repo)
    assert proc.returncode == 2
    assert "models/sklearn-iris/dev.yaml:4:7: spec.predictor.model.storageUri: holds a URI with a user and password" in proc.stderr
    for secret in SECRETS:
        assert secret not in proc.stderr
    assert {p: p.read_bytes() for p in (example_repo / "overlays").rglob("*") if p.is_file()} == before


def test_a_canary_of_a_uri_with_credentials_is_refused(example_repo: Path) -> None:
    model = example_repo / "models" / "sklearn-iris"
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    uri = "s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY@acme-models-dev/sklearn/iris/v2"
    proc = run_cli_process("canary", "sklearn-iris", "--env", "dev", "--storage-uri", uri, "--percent", "10", cwd=example_repo)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "holds a URI with a user and password" in proc.stderr
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
