"""synth: golden output, determinism, drift detection, atomic writes, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, GOLDEN, REPO, assert_golden, copy_example, run_cli_process, tree_bytes
from kserve_gitops.inputs.config import load_config
from kserve_gitops.inputs.models import load_models
from kserve_gitops.synth.app import synth_repo, synthesize


@pytest.fixture
def basic_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = tmp_path / "basic"
    shutil.copytree(FIXTURES / "basic", repo)
    monkeypatch.chdir(repo)
    return repo


def test_basic_repo_matches_golden_files(basic_repo: Path, update_golden: bool) -> None:
    synth_repo(basic_repo)
    assert_golden(tree_bytes(basic_repo), GOLDEN / "basic", update_golden)


def test_environment_patch_applies_platform_defaults(basic_repo: Path) -> None:
    config = load_config(basic_repo / "kserve-gitops.yaml")
    files = synthesize(config, load_models(config, basic_repo))
    prod = yaml.safe_load(files["overlays/prod/models/iris/patches/inferenceservice-iris.yaml"])
    predictor = prod["spec"]["predictor"]
    assert prod["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"
    assert prod["metadata"]["annotations"]["team.example/pager"] == "iris-oncall"
    assert predictor["serviceAccountName"] == "model-reader"  # s3:// model -> IRSA account
    assert predictor["minReplicas"] == 2
    assert predictor["model"]["storageUri"] == "s3://models-prod/iris/v1"
    dev = yaml.safe_load(files["overlays/dev/models/only-dev/patches/inferenceservice-only-dev.yaml"])
    assert "serviceAccountName" not in dev["spec"]["predictor"]  # gs:// model: no IRSA account
    assert "resources" not in dev["spec"]["predictor"].get("model", {})  # the model's own resources stand
    # a model limited to dev is not in prod at all
    assert not any("only-dev" in p for p in files if p.startswith("overlays/prod/"))
    # tool-only annotations never reach the cluster
    base = yaml.safe_load(files["charts/models/only-dev/inferenceservice-only-dev.yaml"])
    assert "kserve-gitops.io/environments" not in (base["metadata"].get("annotations") or {})


def test_synth_is_byte_identical_across_runs_and_hash_seeds(basic_repo: Path, tmp_path: Path) -> None:
    outputs = []
    for seed in ("0", "12345"):
        result = run_cli_process("synth", cwd=basic_repo, env={"PYTHONHASHSEED": seed, "LC_ALL": "C"})
        assert result.returncode == 0, result.stderr
        outputs.append(tree_bytes(basic_repo))
        shutil.rmtree(basic_repo / "charts")
        shutil.rmtree(basic_repo / "overlays")
    assert outputs[0] == outputs[1]


def test_example_repo_output_is_current() -> None:
    result = run_cli_process("synth", "--check", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "up to date" in result.stdout


def test_check_reports_drift_after_a_model_edit(example_repo: Path, cli) -> None:
    model = example_repo / "models/sklearn-iris/prod.yaml"
    model.write_text(model.read_text().replace("minReplicas: 2", "minReplicas: 3"))
    result = cli("synth", "--check")
    assert result.exit_code == 1
    assert "overlays/prod/models/sklearn-iris/patches/inferenceservice-sklearn-iris.yaml" in result.output
    before = tree_bytes(example_repo)
    assert before == tree_bytes(example_repo)  # --check wrote nothing
    assert cli("synth").exit_code == 0
    assert cli("synth", "--check").exit_code == 0


def test_synth_removes_output_of_a_deleted_model(example_repo: Path, cli) -> None:
    shutil.rmtree(example_repo / "models/custom-transformer")
    assert cli("synth").exit_code == 0
    assert not (example_repo / "charts/models/custom-transformer").exists()
    assert "custom-transformer" not in (example_repo / "overlays/dev/namespaces/models-dev/kustomization.yaml").read_text()


def test_bad_config_is_rejected_with_file_line_and_field(example_repo: Path) -> None:
    config = example_repo / "kserve-gitops.yaml"
    config.write_text(config.read_text().replace("deploymentMode: RawDeployment", "deploymentMode: Raw"))
    before = tree_bytes(example_repo)
    result = run_cli_process("synth", cwd=example_repo)
    assert result.returncode == 2
    lines = config.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "deploymentMode: Raw" in text)
    assert f"kserve-gitops.yaml:{line}:" in result.stderr
    assert "environments.prod.kserve.deploymentMode" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_bytes(example_repo) == before


def test_bad_model_is_rejected_with_file_line_and_field(example_repo: Path) -> None:
    model = example_repo / "models/sklearn-iris/inferenceservice.yaml"
    model.write_text(model.read_text().replace("name: sklearn-iris", "name: sklearn-irises"))
    before = tree_bytes(example_repo)
    result = run_cli_process("synth", cwd=example_repo)
    assert result.returncode == 2
    assert "models/sklearn-iris/inferenceservice.yaml:5:" in result.stderr
    assert "metadata.name" in result.stderr
    assert tree_bytes(example_repo) == before


def test_unparseable_model_names_the_line(example_repo: Path) -> None:
    model = example_repo / "models/sklearn-iris/prod.yaml"
    model.write_text("spec:\n  predictor:\n\tminReplicas: 2\n")
    result = run_cli_process("synth", cwd=example_repo)
    assert result.returncode == 2
    assert "models/sklearn-iris/prod.yaml:3" in result.stderr
    assert "tabs" in result.stderr


def test_patch_for_unknown_environment_is_rejected(example_repo: Path, cli) -> None:
    (example_repo / "models/sklearn-iris/qa.yaml").write_text("spec: {}\n")
    result = run_cli_process("synth", cwd=example_repo)
    assert result.returncode == 2
    assert "models/sklearn-iris/qa.yaml" in result.stderr and "no environment named 'qa'" in result.stderr


def test_failed_synth_leaves_previous_output_untouched(example_repo: Path, monkeypatch) -> None:
    from kserve_gitops.synth import output

    before = tree_bytes(example_repo)
    model = example_repo / "models/sklearn-iris/prod.yaml"
    model.write_text(model.read_text().replace("minReplicas: 2", "minReplicas: 5"))
    real_write = Path.write_bytes
    calls = {"n": 0}

    def failing_write(self: Path, data: bytes) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device", str(self))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing_write)
    with pytest.raises(Exception):
        synth_repo(example_repo)
    monkeypatch.setattr(Path, "write_bytes", real_write)
    assert tree_bytes(example_repo) == before
    assert not (example_repo / output.STAGING).exists()


def test_interrupted_swap_is_completed_on_next_run(example_repo: Path) -> None:
    """A run killed between the journal and the swap leaves a complete staged tree; the next run rolls it forward."""
    from kserve_gitops.synth import output

    config, models = load_config(example_repo / "kserve-gitops.yaml"), None
    files = synthesize(config, load_models(config, example_repo))
    staged = example_repo / output.STAGING
    for rel, content in files.items():
        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
        (staged / rel).write_bytes(content)
    (example_repo / output.JOURNAL).write_text("")
    shutil.move(str(example_repo / "charts"), str(example_repo / output.RETIRED))  # killed mid-swap
    output.recover(example_repo)
    assert tree_bytes(example_repo) == files
    assert not staged.exists() and not (example_repo / output.JOURNAL).exists()


def test_a_namespace_annotation_outside_the_environment_points_at_its_line(tmp_path: Path):
    repo = copy_example(tmp_path / "platform")
    model = repo / "models" / "sklearn-iris" / "inferenceservice.yaml"
    model.write_text(model.read_text().replace("  name: sklearn-iris\n", "  name: sklearn-iris\n  annotations:\n    kserve-gitops.io/namespace: elsewhere\n", 1))
    before = {p.relative_to(repo): p.read_bytes() for p in (repo / "overlays").rglob("*") if p.is_file()}
    proc = run_cli_process("synth", cwd=repo)
    assert proc.returncode == 2
    assert "models/sklearn-iris/inferenceservice.yaml:7:" in proc.stderr
    assert "namespace 'elsewhere' is not a model namespace of environment 'dev'" in proc.stderr
    assert {p.relative_to(repo): p.read_bytes() for p in (repo / "overlays").rglob("*") if p.is_file()} == before
