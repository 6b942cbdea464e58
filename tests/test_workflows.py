"""CI wiring: the workflows and the composite action pass actionlint, every kserve-gitops invocation in them
names real commands and options, and every pre-commit hook entry runs and gates."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from kserve_gitops.operate.scaffold import scaffold_files
from kserve_gitops.tools import find_tool

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
PRE_COMMIT_CONFIG = REPO / ".pre-commit-config.yaml"
VENV_BIN = Path(sys.executable).parent
INVOCATION = re.compile(r"(?:^|[\s/])kserve-gitops ([^\n|>&;]*)")


def actionlint(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([find_tool("actionlint"), "-no-color", *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_workflows_and_action_pass_actionlint() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "pr.yml"}
    proc = actionlint(*[str(p.relative_to(REPO)) for p in WORKFLOWS], cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_reads_the_action_metadata(tmp_path: Path) -> None:
    """pr.yml runs the action with `uses: ./`: an input the action does not declare is caught."""
    shutil.copy(ACTION, tmp_path / "action.yml")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    pr = (REPO / ".github/workflows/pr.yml").read_text()
    assert "uses: ./\n" in pr
    (tmp_path / ".github/workflows/pr.yml").write_text(pr.replace("          package: .\n", "          package: .\n          no-such-input: x\n"))
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    proc = actionlint(cwd=tmp_path)
    assert proc.returncode == 1
    assert 'input "no-such-input" is not defined in action "kserve-gitops"' in proc.stdout


def test_pr_gate_steps() -> None:
    pr = yaml.safe_load((REPO / ".github/workflows/pr.yml").read_text())
    steps = pr["jobs"]["gate"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    for command in ("synth --check", "validate -o sarif", "validate -o github", "policy test", "diff --base", "-o markdown", "gh pr comment"):
        assert command in runs, command
    assert any(str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@") for step in steps)
    assert pr["jobs"]["gate"]["permissions"]["security-events"] == "write"
    assert pr["jobs"]["gate"]["steps"][0]["with"]["fetch-depth"] == 0
    ci = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    assert "push" in ci[True]  # PyYAML reads the key `on` as True
    assert any(step.get("run") == "make test" for step in ci["jobs"]["test"]["steps"])


def test_action_metadata_is_complete() -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    declared = set(action["inputs"])
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
    text = ACTION.read_text()
    used = set(re.findall(r"inputs\.([a-z-]+)", text))
    assert used <= declared, used - declared
    assert declared <= used, f"declared but unused inputs: {declared - used}"
    step_ids = {step.get("id") for step in action["runs"]["steps"]}
    for output in action["outputs"].values():
        assert re.search(r"steps\.([a-z-]+)\.outputs", output["value"]).group(1) in step_ids
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash", step.get("name")


def _commands(text: str) -> list[str]:
    """The shell commands of a workflow, action or hook file: every step's ``run`` and every hook ``entry``."""
    data = yaml.safe_load(text)
    out: list[str] = []
    if isinstance(data, list):  # .pre-commit-hooks.yaml
        return [hook["entry"] for hook in data]
    if "repos" in data:  # .pre-commit-config.yaml
        return [hook["entry"] for repo in data["repos"] for hook in repo["hooks"] if "entry" in hook]
    steps = list(data.get("runs", {}).get("steps", []))
    for job in (data.get("jobs") or {}).values():
        steps += job.get("steps", [])
    return [step["run"] for step in steps if "run" in step]


def _invocations() -> list[tuple[str, str]]:
    sources = {p.name: p.read_text() for p in [*WORKFLOWS, ACTION, PRE_COMMIT_CONFIG, HOOKS]}
    scaffold = scaffold_files("x")
    sources["init workflow"] = scaffold[".github/workflows/kserve-gitops.yaml"]
    sources["init pre-commit"] = scaffold[".pre-commit-config.yaml"]
    found = []
    for name, text in sources.items():
        for command in _commands(text):
            for line in command.splitlines():
                for match in INVOCATION.finditer(line.split(" #")[0]):
                    found.append((name, match.group(1).strip()))
    assert len(found) >= 15
    return found


@pytest.mark.parametrize("source, invocation", _invocations())
def test_every_invocation_names_a_real_command_and_options(source: str, invocation: str, cli) -> None:
    words = [w for w in shlex.split(invocation.replace("$", "")) if w]
    command = []
    for word in words:
        if word.startswith("-"):
            break
        command.append(word)
        help_text = cli(*command, "--help")
        if help_text.exit_code != 0:
            command.pop()
            break
    assert command, f"{source}: 'kserve-gitops {invocation}' names no command"
    help_text = cli(*command, "--help").output
    for i, option in enumerate(words):
        if not option.startswith("-"):
            continue
        assert option.split("=")[0] in help_text, f"{source}: {option} is not an option of 'kserve-gitops {' '.join(command)}'"
        if option in ("-o", "--output"):
            assert words[i + 1] in help_text, f"{source}: {words[i + 1]} is not an output format of {' '.join(command)}"


# --- pre-commit hooks ---------------------------------------------------------------------------------


@pytest.fixture
def hook_repo(example_repo: Path, cli) -> Path:
    """The example repo, synthesized, as a git repository; kserve-gitops on PATH as pre-commit installs it."""
    assert cli("synth").exit_code == 0
    subprocess.run(["git", "init", "-q"], cwd=example_repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=example_repo, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"], cwd=example_repo, check=True)
    return example_repo


def run_entry(entry: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(shlex.split(entry), cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


HOOK_ENTRIES = yaml.safe_load(HOOKS.read_text())


@pytest.mark.parametrize("hook", HOOK_ENTRIES, ids=[h["id"] for h in HOOK_ENTRIES])
def test_every_published_hook_passes_on_a_clean_repo(hook: dict, hook_repo: Path) -> None:
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert re.search(hook["files"], "models/sklearn-iris/prod.yaml")
    proc = run_entry(hook["entry"], hook_repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hooks_gate_stale_output_and_legacy_models(hook_repo: Path) -> None:
    hooks = {h["id"]: h for h in HOOK_ENTRIES}
    model = hook_repo / "models/sklearn-iris/staging.yaml"
    model.write_text(model.read_text().replace("iris/v1", "iris/v2"))
    stale = run_entry(hooks["kserve-gitops-synth-check"]["entry"], hook_repo)
    assert stale.returncode == 1
    assert "overlays/staging/" in stale.stdout
    legacy = Path(__file__).parent / "examples/legacy/models/pytorch-cifar10/staging.yaml"
    shutil.copy(legacy, model)
    migrate = run_entry(hooks["kserve-gitops-migrate-check"]["entry"], hook_repo)
    assert migrate.returncode == 1
    assert "1 of " in migrate.stdout


def test_this_repos_pre_commit_entries_run(hook_repo: Path) -> None:
    """Each local hook of .pre-commit-config.yaml, run in a copy of this repo's inputs and CI files."""
    shutil.copytree(REPO / ".github", hook_repo / ".github")
    shutil.copy(ACTION, hook_repo / "action.yml")
    (hook_repo / ".venv").symlink_to(VENV_BIN.parent)
    (hook_repo / ".tools").symlink_to(Path(find_tool("actionlint")).parent.parent)
    config = yaml.safe_load(PRE_COMMIT_CONFIG.read_text())
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {h["id"] for h in hooks} >= {"kserve-gitops-synth-check", "kserve-gitops-validate", "actionlint"}
    for hook in hooks:
        proc = run_entry(hook["entry"], hook_repo)
        assert proc.returncode == 0, f"{hook['id']}: {proc.stdout}{proc.stderr}"
