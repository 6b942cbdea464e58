"""Shared fixtures: example repos in temp folders, the CLI, golden files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SHARED_CRDS = REPO.parent / "shared" / "crds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLE_INPUTS = ("kserve-gitops.yaml", "models", "charts", "overlays", "policies")

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("KSERVE_GITOPS_CRDS", str(SHARED_CRDS))
os.environ.setdefault("KSERVE_GITOPS_TOOLS", str(REPO / ".tools" / "bin"))
# KServe's charts (charts.kserve in kserve-gitops.yaml is relative; copies of the example live elsewhere)
SHARED_CHARTS = REPO.parent / "shared" / "charts" / "kserve"
os.environ.setdefault("KSERVE_GITOPS_CHARTS", str(SHARED_CHARTS))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files from the current output.")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def copy_example(dest: Path, names=EXAMPLE_INPUTS) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


@pytest.fixture
def example_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of this repo's inputs and committed output in a temp folder, as the working directory."""
    repo = copy_example(tmp_path / "platform")
    monkeypatch.chdir(repo)
    return repo


@pytest.fixture
def cli():
    """Run the CLI in process: cli(args...) -> click Result (exit_code, output)."""
    from kserve_gitops.cli.main import cli as command

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(command, list(args), input=input, catch_exceptions=False)

    return run


def run_cli_process(*args: str, cwd: Path, input: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m kserve_gitops`` as a real process (exit codes, stderr, signals)."""
    return subprocess.run(
        [sys.executable, "-m", "kserve_gitops", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def tree_bytes(root: Path, tops=("charts", "overlays")) -> dict[str, bytes]:
    out = {}
    for top in tops:
        base = root / top
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def assert_golden(actual: dict[str, bytes], golden_dir: Path, update: bool) -> None:
    """Compare a tree of files with a golden folder byte for byte; --update-golden rewrites it."""
    if update:
        if golden_dir.exists():
            shutil.rmtree(golden_dir)
        for rel, content in actual.items():
            target = golden_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        return
    assert golden_dir.is_dir(), f"no golden files at {golden_dir}; run 'make regen'"
    expected = {p.relative_to(golden_dir).as_posix(): p.read_bytes() for p in sorted(golden_dir.rglob("*")) if p.is_file()}
    assert sorted(actual) == sorted(expected), "the set of files differs from the golden files"
    for rel in expected:
        assert actual[rel] == expected[rel], f"{rel} differs from its golden file (run 'make regen' if intended)"


def synth_one(build) -> dict:
    """The one object ``build(chart)`` adds to a fresh kustomize-base chart, as cdk8s renders it."""
    import cdk8s

    from kserve_gitops.constructs.kustomize import KustomizeBase

    app = cdk8s.App()
    base = KustomizeBase(app, "models/x")
    build(base)
    [obj] = base.to_json()
    return obj
