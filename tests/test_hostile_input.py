"""Hostile and broken input: every case gives a clear message naming the file, exit 2 (input) or 3
(environment), no traceback, and the previous output intact."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run_cli_process, tree_bytes

MODEL = "models/sklearn-iris/inferenceservice.yaml"
PATCH = "models/sklearn-iris/prod.yaml"


def assert_rejected(repo: Path, result: subprocess.CompletedProcess, *, code: int, file: str, text: str) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert file in result.stderr, result.stderr
    assert re.search(text, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


BAD_FILES = {
    "alias-bomb": (
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
        + "spec: *i\n",
        r"alias bomb",
    ),
    "deep-nesting": ("spec: " + "[" * 5000 + "]" * 5000 + "\n", r"nested too deeply|invalid YAML"),
    "tabs": ("spec:\n\tpredictor: {}\n", r"tabs"),
    "bad-indentation": ("spec:\n  predictor:\n    minReplicas: 1\n   maxReplicas: 2\n", r"invalid YAML"),
    "not-utf8": (b"spec:\n  predictor:\n    minReplicas: \xff\xfe\n", r"not valid UTF-8"),
    "binary": (b"\x7fELF\x02\x01\x01\x00\x00\x00", r"binary data"),
    "empty": ("", r"empty"),
    "scalar": ("just a string\n", r"must be a mapping"),
    "list": ("- a\n- b\n", r"must be a mapping"),
    "two-documents": ("spec: {}\n---\nspec: {}\n", r"expected one YAML document"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_model_patch_is_rejected_cleanly(example_repo: Path, case: str) -> None:
    content, message = BAD_FILES[case]
    before = tree_bytes(example_repo)
    path = example_repo / PATCH
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    started = time.monotonic()
    result = run_cli_process("synth", cwd=example_repo)
    assert time.monotonic() - started < 60
    assert_rejected(example_repo, result, code=2, file=PATCH, text=message)
    assert tree_bytes(example_repo) == before


def test_utf8_bom_is_accepted(example_repo: Path) -> None:
    path = example_repo / PATCH
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    result = run_cli_process("synth", "--check", cwd=example_repo)
    assert result.returncode == 0, result.stderr


def test_a_file_over_the_cap_is_refused_without_reading_it(example_repo: Path) -> None:
    path = example_repo / PATCH
    with open(path, "r+b") as fh:
        fh.truncate(65 * 1024 * 1024)  # sparse: larger than the 64Mi default, never read
    result = run_cli_process("synth", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file=PATCH, text=r"byte limit")
    assert "--max-file-size" in result.stderr


def test_the_size_cap_is_a_flag(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(dashboards_yaml(count=8, size=256 * 1024))  # 2 MiB
    tight = run_cli_process("--max-file-size", "1Mi", "validate", "--no-admission", str(rendered), cwd=tmp_path)
    assert tight.returncode == 1 and "byte limit" in tight.stdout, tight.stdout + tight.stderr  # a finding of validate PATH
    loose = run_cli_process("validate", "--no-admission", str(rendered), cwd=tmp_path, env={"KSERVE_GITOPS_MAX_FILE_SIZE": "3Mi"})
    assert loose.returncode == 0, loose.stdout + loose.stderr
    bad = run_cli_process("--max-file-size", "lots", "validate", str(rendered), cwd=tmp_path)
    assert bad.returncode == 2 and "is not a size" in bad.stderr


def dashboards_yaml(*, count: int, size: int) -> str:
    """A rendered environment's bulk: Grafana dashboards in ConfigMaps, ``size`` bytes of JSON each."""
    panel = '{"type": "timeseries", "title": "p95 latency", "targets": [{"expr": "histogram_quantile(0.95, rate(x[5m]))"}]}'
    body = "[" + ", ".join([panel] * (size // (len(panel) + 2))) + "]"
    docs = [
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dashboard-{i}\n  namespace: monitoring\n"
        f"  labels: {{grafana_dashboard: \"1\", team: platform}}\ndata:\n  dashboard.json: '{body}'\n"
        for i in range(count)
    ]
    return "---\n".join(docs)


def test_a_50_mb_rendered_file_validates_in_under_1_gib(tmp_path: Path) -> None:
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(dashboards_yaml(count=200, size=256 * 1024))
    assert rendered.stat().st_size > 50 * 1000 * 1000
    # a parent process of its own, so the peak RSS of its children is the validate run's alone
    probe = (
        "import resource, subprocess, sys\n"
        "proc = subprocess.run([sys.executable, '-m', 'kserve_gitops', 'validate', '--no-admission', sys.argv[1]], capture_output=True, text=True)\n"
        "print(proc.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-2000:])\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(rendered)], capture_output=True, text=True, cwd=tmp_path)
    code, peak_kib = map(int, result.stdout.split())
    assert code == 0, result.stderr
    assert peak_kib < 1024 * 1024, f"peak RSS {peak_kib // 1024} MiB"


@pytest.mark.parametrize(
    "field,replacement,message",
    [
        ("apiVersion: serving.kserve.io/v1beta1", "", r"apiVersion must be"),
        ("kind: InferenceService", "", r"kind must be"),
        ("  name: sklearn-iris", "  labels2: {}", r"metadata.name is required"),
        ("  name: sklearn-iris", "  name: ../../etc/passwd", r"does not match the folder name"),
    ],
)
def test_objects_missing_identity_are_rejected(example_repo: Path, field: str, replacement: str, message: str) -> None:
    path = example_repo / MODEL
    text = path.read_text()
    assert field in text
    path.write_text(text.replace(field, replacement, 1))
    result = run_cli_process("synth", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file=MODEL, text=message)


def test_label_that_yaml_reads_as_a_number_is_rejected_with_a_fix(example_repo: Path) -> None:
    path = example_repo / MODEL
    path.write_text(path.read_text().replace("    team: data-science\n", "    team: data-science\n    version: 0\n", 1))
    result = run_cli_process("synth", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file=MODEL, text=r'metadata\.labels\.version: value 0 is a int, not a string')
    assert 'quote it: version: "0"' in result.stderr


def test_invalid_model_folder_name_is_rejected(example_repo: Path) -> None:
    (example_repo / "models/sklearn-iris").rename(example_repo / "models/Sklearn_Iris")
    result = run_cli_process("synth", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file="models/Sklearn_Iris", text=r"not a valid model name")


def test_namespace_annotation_cannot_escape(example_repo: Path) -> None:
    path = example_repo / MODEL
    path.write_text(path.read_text().replace("  labels:\n", "  annotations:\n    kserve-gitops.io/namespace: ../../etc\n  labels:\n", 1))
    result = run_cli_process("synth", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file=MODEL, text=r"not a model namespace")
    assert not (example_repo.parent / "etc").exists()


def test_symlink_to_a_file_outside_the_repo_is_refused(example_repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("spec: {}\n")
    (example_repo / PATCH).unlink()
    (example_repo / PATCH).symlink_to(outside)
    result = run_cli_process("synth", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file=PATCH, text=r"outside the repository")


def test_config_that_is_a_list_is_rejected(example_repo: Path) -> None:
    (example_repo / "kserve-gitops.yaml").write_text("- dev\n- prod\n")
    result = run_cli_process("validate", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file="kserve-gitops.yaml", text=r"mapping")


def test_remote_kustomization_is_refused_before_rendering(example_repo: Path) -> None:
    kustomization = example_repo / "overlays/dev/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n- https://github.com/acme/evil//base?ref=main\n"))
    result = run_cli_process("render", "dev", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file="kustomization.yaml", text=r"remote URL")


def test_kustomization_naming_a_missing_file_is_a_render_error(example_repo: Path) -> None:
    kustomization = example_repo / "overlays/dev/kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("resources:\n", "resources:\n- does-not-exist.yaml\n"))
    result = run_cli_process("validate", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file="overlays/dev", text=r"failed")


def test_missing_kustomize_and_kubectl_is_an_environment_error(example_repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run_cli_process("render", "dev", cwd=example_repo, env={"PATH": str(empty), "KSERVE_GITOPS_TOOLS": str(empty)})
    assert result.returncode == 3, result.stderr
    assert "neither kustomize nor kubectl" in result.stderr and "make tools" in result.stderr
    assert "Traceback" not in result.stderr


def test_kustomize_that_crashes_is_not_a_pass(example_repo: Path, tmp_path: Path) -> None:
    broken = tmp_path / "kustomize"
    broken.write_text("#!/bin/sh\necho 'panic: runtime error' >&2\nexit 2\n")
    broken.chmod(0o755)
    result = run_cli_process("validate", cwd=example_repo, env={"KSERVE_GITOPS_KUSTOMIZE": str(broken)})
    assert result.returncode != 0
    assert "panic: runtime error" in result.stderr
    assert "pass" not in result.stdout


def test_debug_shows_the_traceback(example_repo: Path) -> None:
    (example_repo / PATCH).write_text("spec:\n\tx: 1\n")
    result = run_cli_process("--debug", "synth", cwd=example_repo)
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def _big_repo(repo: Path, count: int) -> None:
    template = (repo / MODEL).read_text()
    for i in range(count):
        name = f"bulk-{i:04d}"
        folder = repo / "models" / name
        folder.mkdir()
        (folder / "inferenceservice.yaml").write_text(template.replace("sklearn-iris", name))


def test_killing_synth_at_any_point_leaves_old_or_new_output(example_repo: Path) -> None:
    """SIGKILL synth while it writes; afterwards the tree is the old one or the new one, never a mix."""
    from kserve_gitops.synth.output import JOURNAL, STAGING, recover

    _big_repo(example_repo, 150)
    old = tree_bytes(example_repo)
    # the new output, computed in a scratch copy first
    assert run_cli_process("synth", cwd=example_repo).returncode == 0
    new = tree_bytes(example_repo)
    assert new != old
    interrupted_while_staging = 0
    for attempt, (marker, delay) in enumerate([(STAGING, 0.0), (STAGING, 0.002), (STAGING, 0.01), (JOURNAL, 0.0)]):
        _write_tree(example_repo, old)
        proc = subprocess.Popen(
            [sys.executable, "-m", "kserve_gitops", "synth"], cwd=example_repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        alive = _kill_once_present(proc, example_repo / marker, delay)
        staged, journaled = (example_repo / STAGING).exists(), (example_repo / JOURNAL).exists()
        if marker == STAGING:
            # killed in the middle of writing the staged tree: the run really was interrupted
            assert alive and staged and not journaled, f"attempt {attempt}: synth was not interrupted while staging"
            interrupted_while_staging += 1
        # whatever state the kill left, the next synth recovers an interrupted swap first (rolls forward
        # from a journal, else drops the staged tree)
        recover(example_repo)
        state = tree_bytes(example_repo)
        check = run_cli_process("synth", "--check", cwd=example_repo)
        expected = new if journaled else old if staged else None
        assert state == expected if expected is not None else state in (old, new), f"attempt {attempt}: a mix of old and new output"
        assert not (example_repo / STAGING).exists() and not (example_repo / JOURNAL).exists()
        assert check.returncode == (0 if state == new else 1)
    assert interrupted_while_staging == 3


def _kill_once_present(proc: subprocess.Popen, marker: Path, delay: float) -> bool:
    """SIGKILL ``proc`` ``delay`` seconds after ``marker`` appears; True when it was still running then."""
    deadline = time.monotonic() + 120
    while not marker.exists():
        if proc.poll() is not None:
            return False  # it finished (or failed) before the marker was seen
        assert time.monotonic() < deadline, f"synth never wrote {marker.name}"
        time.sleep(0.0002)
    time.sleep(delay)
    alive = proc.poll() is None
    proc.kill()
    proc.wait()
    return alive


def _write_tree(repo: Path, files: dict[str, bytes]) -> None:
    import shutil

    for top in ("charts", "overlays"):
        if (repo / top).exists():
            shutil.rmtree(repo / top)
    for rel, content in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(content)


def test_ctrl_c_during_synth_exits_130_and_keeps_output_whole(example_repo: Path) -> None:
    _big_repo(example_repo, 150)
    old = tree_bytes(example_repo)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kserve_gitops", "synth"],
        cwd=example_repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground process group
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    if proc.returncode == 0:  # synth finished before the signal landed
        assert tree_bytes(example_repo) != old
    else:
        assert proc.returncode == 130, err
        assert "interrupted" in err
        assert tree_bytes(example_repo) == old


def test_a_file_where_synth_stages_its_output_is_an_environment_error_not_a_crash(example_repo: Path) -> None:
    from kserve_gitops.synth import output

    before = tree_bytes(example_repo)
    (example_repo / output.STAGING).write_text("left here by someone\n")
    result = run_cli_process("synth", cwd=example_repo)
    assert result.returncode == 3, result.stderr
    assert "cannot recover an interrupted synth" in result.stderr and output.STAGING in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert (example_repo / output.STAGING).read_text() == "left here by someone\n"  # the user's file is kept
    assert tree_bytes(example_repo) == before


def test_odd_metadata_reaches_validate_instead_of_crashing_synth(example_repo: Path) -> None:
    """cdk8s types some metadata fields; whatever a user writes there is kept and judged by the schema."""
    path = example_repo / MODEL
    path.write_text(path.read_text().replace("  labels:\n", "  finalizers: [1]\n  generateName: 5\n  labels:\n", 1))
    synth = run_cli_process("synth", cwd=example_repo)
    assert synth.returncode == 0, synth.stderr
    result = run_cli_process("validate", "-e", "dev", "--no-policy", cwd=example_repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{MODEL}:6:16:" in result.stdout and "metadata.finalizers[0]" in result.stdout  # the 1 in [1]
    assert "metadata.generateName" in result.stdout


def test_missing_git_is_an_environment_error(example_repo: Path, tmp_path: Path) -> None:
    """diff needs git; with Node.js and kustomize but no git on PATH it says so (exit 3)."""
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "node").symlink_to(shutil.which("node"))
    subprocess.run(["git", "init", "-q", "."], cwd=example_repo, check=True)
    result = run_cli_process("diff", cwd=example_repo, env={"PATH": str(bin_dir)})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "git is not installed" in result.stderr and "Traceback" not in result.stderr


def test_duplicate_keys_warn_and_fail_under_strict(example_repo: Path) -> None:
    path = example_repo / PATCH
    path.write_text(path.read_text().replace("    minReplicas: 2\n", "    minReplicas: 2\n    minReplicas: 3\n", 1))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "minReplicas: 3" in t)
    warned = run_cli_process("synth", cwd=example_repo)
    assert warned.returncode == 0, warned.stderr
    assert f"warning: {PATCH}:{line}:5: duplicate key 'spec.predictor.minReplicas'" in warned.stderr
    before = tree_bytes(example_repo)
    path.write_text(path.read_text().replace("minReplicas: 3", "minReplicas: 4"))
    strict = run_cli_process("synth", "--strict", cwd=example_repo)
    assert_rejected(example_repo, strict, code=2, file=f"{PATCH}:{line}:5", text=r"duplicate key")
    assert tree_bytes(example_repo) == before


def test_promtool_missing_is_tool_not_found_and_failing_rules_are_not_ok(tmp_path: Path, monkeypatch) -> None:
    from kserve_gitops.errors import ToolNotFound
    from kserve_gitops.validate import promtool

    broken = tmp_path / "rules.yaml"
    broken.write_text("groups:\n- name: g\n  rules:\n  - alert: Broken\n    expr: sum(rate(x[5m])\n")
    result = promtool.check_rules(broken)  # the real promtool on a rule that does not parse
    assert not result.ok
    assert "parse error" in result.output or "unclosed" in result.output, result.output
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("KSERVE_GITOPS_TOOLS", str(empty))
    with pytest.raises(ToolNotFound) as err:
        promtool.check_rules(broken)
    assert "promtool is not installed" in str(err.value) and err.value.exit_code == 3


def test_a_secret_in_a_model_is_flagged_and_never_echoed(example_repo: Path) -> None:
    """A literal credential in a model's env is a finding; no report format repeats the value."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    path = example_repo / "models/custom-transformer/inferenceservice.yaml"
    path.write_text(path.read_text().replace(
        "            value: custom-transformer-predictor",
        f"            value: custom-transformer-predictor\n          - name: AWS_SECRET_ACCESS_KEY\n            value: {secret}",
        1,
    ))
    assert "AWS_SECRET_ACCESS_KEY" in path.read_text()
    assert run_cli_process("synth", cwd=example_repo).returncode == 0
    for output in ("text", "json", "sarif", "junit", "github"):
        result = run_cli_process("validate", "-e", "dev", "-o", output, cwd=example_repo)
        assert result.returncode == 1, result.stderr
        assert "AWS_SECRET_ACCESS_KEY" in result.stdout  # the finding names the variable
        assert secret not in result.stdout + result.stderr, output


def test_transformer_lists_that_are_not_lists_are_schema_findings_not_a_crash(tmp_path: Path) -> None:
    """Found by the property test: `env: 1` under a transformer container crashed the predictor-host check."""
    manifest = tmp_path / "isvc.yaml"
    manifest.write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: odd\n  namespace: models\n"
        "spec:\n  predictor:\n    model:\n      modelFormat: {name: sklearn}\n      storageUri: s3://b/m\n"
        "  transformer:\n    containers:\n    - name: kserve-container\n      image: ghcr.io/acme/t:1\n      env: 1\n      args: 5\n"
    )
    result = run_cli_process("validate", "--no-policy", "--kserve-version", "v0.20.0", str(manifest), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "isvc.yaml:15:" in result.stdout and "isvc.yaml:16:" in result.stdout  # env and args, each at its line


def test_every_broken_model_is_reported_in_one_run_in_every_format(example_repo: Path) -> None:
    """Three broken models cost one run, and CI sees them in the format it reads (exit 2, nothing else)."""
    from conftest import run_cli_process

    (example_repo / "models" / "churn-predictor" / "inferenceservice.yaml").write_text("apiVersion: [serving\n")
    (example_repo / "models" / "customer-ltv" / "inferenceservice.yaml").write_text(
        "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata:\n  name: customer-ltv\n  namespace: models-dev\nspec: {}\n"
    )
    (example_repo / "models" / "sklearn-iris" / "staging.yaml").write_text("spec:\n  predictor: [1\n")
    text = run_cli_process("validate", cwd=example_repo)
    assert text.returncode == 2
    for name in ("churn-predictor/inferenceservice.yaml:2", "customer-ltv/inferenceservice.yaml:5", "sklearn-iris/staging.yaml:3"):
        assert f"models/{name}" in text.stderr, text.stderr
    for fmt, needle in (("json", '"rule": "input-error"'), ("sarif", '"ruleId": "input-error"'), ("junit", "<failure"), ("github", "::error file=models/")):
        run = run_cli_process("validate", "-o", fmt, cwd=example_repo)
        assert run.returncode == 2, run.stderr
        assert run.stdout.count("churn-predictor") >= 1 and "customer-ltv" in run.stdout and "sklearn-iris/staging.yaml" in run.stdout, run.stdout
        assert needle in run.stdout
    report = json.loads(run_cli_process("validate", "-o", "json", cwd=example_repo).stdout)
    assert report["exitCode"] == 2
    assert sorted((f["path"], f["line"]) for f in report["findings"]) == [
        ("models/churn-predictor/inferenceservice.yaml", 2),
        ("models/customer-ltv/inferenceservice.yaml", 5),
        ("models/sklearn-iris/staging.yaml", 3),
    ]


def test_a_number_json_cannot_hold_is_refused_at_its_line(example_repo: Path) -> None:
    # YAML has .inf and .nan; JSON, kubectl and the API server do not
    path = example_repo / PATCH
    path.write_text(path.read_text() + "\nreplicasFactor: .nan\n")
    result = run_cli_process("synth", cwd=example_repo)
    assert_rejected(example_repo, result, code=2, file=PATCH, text=r"\.nan is not a number JSON")
