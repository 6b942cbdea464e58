"""The workflow ``init`` writes, step by step, as a runner would run it: kserve-gitops installed from a wheel
built from its git repository at the release tag into a fresh venv, no ``../shared`` and no
``KSERVE_GITOPS_CRDS`` (the CRDs are brought in with ``schemas import`` from files, as a user with
``kubectl get crd -o yaml`` would), the Go tools from ``kserve-gitops tools install``. The verdict must be the
one this checkout gives, and the config limits of the new repo must be enforced. Nothing reaches the network:
pip runs with ``--no-index`` (the dependencies are the main venv's, seen through a ``.pth`` file) and Go with
``GOPROXY=off`` (the module cache ``make setup`` filled).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from conftest import REPO, SHARED_CRDS
from kserve_gitops import __version__
from kserve_gitops.tools import find_tool

pytestmark = pytest.mark.slow

VENV_BIN = Path(sys.executable).parent
WORKFLOW = ".github/workflows/kserve-gitops.yaml"


def _run(command: list[str] | str, *, cwd: Path, env: dict[str, str], input: str | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    shell = isinstance(command, str)
    args = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command] if shell else command
    return subprocess.run(args, cwd=cwd, env=env, input=input, capture_output=True, text=True, timeout=timeout)


def _source_tree(dest: Path) -> None:
    """The files of this checkout that a commit would hold (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z", "--", "pyproject.toml", "README.md", "src"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)


def _dependency_dir(tmp: Path) -> Path:
    """The main venv's installed packages without kserve-gitops itself (the wheel brings that)."""
    site = Path(sysconfig.get_paths()["purelib"])
    deps = tmp / "deps"
    deps.mkdir()
    for entry in site.iterdir():
        name = entry.name.lower()
        if name.startswith(("kserve_gitops", "kserve-gitops", "__editable__")) or name.endswith(".pth"):
            continue
        (deps / entry.name).symlink_to(entry)
    return deps


@pytest.fixture(scope="module")
def runner(tmp_path_factory) -> dict:
    """A fresh venv with the wheel built from a git tag; the environment the workflow's steps run in."""
    tmp = tmp_path_factory.mktemp("runner")
    # kserve-gitops' repository at the release tag, as pip install "kserve-gitops @ git+URL@vX.Y.Z" reads it
    upstream = tmp / "upstream"
    _source_tree(upstream)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run(["git", "init", "-q"], cwd=upstream, check=True)
    subprocess.run(["git", "add", "-A"], cwd=upstream, check=True)
    subprocess.run([*git, "commit", "-qm", "release"], cwd=upstream, check=True)
    subprocess.run([*git, "tag", f"v{__version__}"], cwd=upstream, check=True)
    wheels = tmp / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index", "--no-build-isolation", "-w", str(wheels),
         f"kserve-gitops @ git+file://{upstream}@v{__version__}"],
        capture_output=True, text=True, timeout=600,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("kserve_gitops-*.whl")

    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    fresh_site = Path(subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip())
    (fresh_site / "main-venv-deps.pth").write_text(f"{_dependency_dir(tmp)}\n")

    hidden = {str(REPO / ".tools" / "bin"), str(VENV_BIN)}
    path = [str(venv / "bin"), *(p for p in os.environ["PATH"].split(os.pathsep) if p and p not in hidden)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KSERVE_GITOPS_", "PYTHON", "VIRTUAL_ENV", "PIP_"))}
    go_env = subprocess.run(["go", "env", "GOCACHE", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.split()
    env.update({
        "PATH": os.pathsep.join(path),
        # the build and module caches make setup filled (XDG_CACHE_HOME below would otherwise move GOCACHE)
        "GOCACHE": go_env[0],
        "GOMODCACHE": go_env[1],
        "XDG_CACHE_HOME": str(tmp / "cache"),  # no converted schemas or analyses from this machine's runs
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "GOPROXY": "off",  # the Go module cache from make setup, never the network
        "GOFLAGS": "-mod=mod",
        "KSERVE_GITOPS_OFFLINE": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    })
    return {"tmp": tmp, "wheel": wheel, "venv": venv, "env": env}


def _steps(repo: Path) -> tuple[dict, list[dict]]:
    workflow = yaml.safe_load((repo / WORKFLOW).read_text())
    (job,) = workflow["jobs"].values()
    return workflow.get("env") or {}, job["steps"]


def _crd_stream(folder: Path) -> str:
    """What 'kubectl get crd -o yaml' prints, for the CRD files of one folder: a List of CRDs."""
    items = []
    for path in sorted(folder.glob("*.yaml")):
        items += [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict) and d.get("kind") == "CustomResourceDefinition"]
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items})


@pytest.fixture(scope="module")
def platform_repo(runner) -> Path:
    """``kserve-gitops init`` from the fresh venv, committed, with CRDs imported from files (nothing from ../shared)."""
    # CRD files to copy: ../shared/crds here, or on a CI runner the schemas/ that ci.yml fetched
    source = SHARED_CRDS if SHARED_CRDS.is_dir() else REPO / "schemas"
    if not (source / "kserve" / "v0.20.0").is_dir():
        pytest.skip("needs CRD files to copy: ../shared/crds or schemas/ (kserve-gitops schemas fetch --from-config --platform)")
    tmp, env = runner["tmp"], runner["env"]
    install = _run(["python", "-m", "pip", "install", "-q", str(runner["wheel"])], cwd=tmp, env=env)
    assert install.returncode == 0, install.stdout + install.stderr
    assert Path(_run(["which", "kserve-gitops"], cwd=tmp, env=env).stdout.strip()).parent == runner["venv"] / "bin"
    repo = tmp / "platform"
    init = _run(["kserve-gitops", "init", str(repo)], cwd=tmp, env=env)
    assert init.returncode == 0, init.stdout + init.stderr
    # the CRD files a user would get from their clusters, in a folder of their own
    crds = tmp / "crds-from-cluster"
    shutil.copytree(source / "kserve" / "v0.20.0", crds / "kserve" / "v0.20.0")
    for group in sorted(p for p in source.iterdir() if p.is_dir() and p.name != "kserve"):
        shutil.copytree(group, crds / group.name)
    imported = _run(["kserve-gitops", "schemas", "import", "--kserve-version", "v0.20.0", "-"], cwd=repo, env=env,
                    input=_crd_stream(crds / "kserve" / "v0.20.0"))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    for group in sorted(p for p in crds.iterdir() if p.name != "kserve"):
        imported = _run(["kserve-gitops", "schemas", "import", "-"], cwd=repo, env=env, input=_crd_stream(group))
        assert imported.returncode == 0, imported.stdout + imported.stderr
    # a CI cache restore of the pinned kustomize (the admission helper is built for real, offline, below)
    tools = repo / ".tools" / "bin"
    tools.mkdir(parents=True)
    (tools / "kustomize").symlink_to(find_tool("kustomize"))
    (tools / ".kustomize.version").write_text("v5.8.1\n")
    if not _module_cached("github.com/kserve/kserve", "v0.20.0", runner["env"]):
        # make setup found the helper in its own cache and downloaded nothing: restore it from there too
        from kserve_gitops.toolbuild import helper_digest

        (tools / "kserve-admission-v0.20.0").symlink_to(find_tool("kserve-admission-v0.20.0"))
        (tools / ".kserve-admission-v0.20.0.version").write_text(helper_digest("v0.20.0") + "\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@e"]
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], [*git, "commit", "-qm", "init"]):
        subprocess.run(command, cwd=repo, check=True, capture_output=True)
    return repo


def _module_cached(module: str, version: str, env: dict[str, str]) -> bool:
    return (Path(env["GOMODCACHE"]) / "cache" / "download" / module / "@v" / f"{version}.zip").is_file()


def _run_workflow(repo: Path, runner: dict, *, until: str | None = None) -> list[tuple[str, subprocess.CompletedProcess]]:
    """Every ``run`` step of the job, in order, with the workflow's env; the install step gets the wheel (the one
    thing a runner would download). Steps that only run on pull requests are skipped."""
    workflow_env, steps = _steps(repo)
    env = {**runner["env"], **{k: str(v) for k, v in workflow_env.items()}, "KSERVE_GITOPS_PACKAGE": str(runner["wheel"])}
    results = []
    for step in steps:
        if "run" not in step or "pull_request" in str(step.get("if", "")):
            continue
        step_env = {**env, **{k: str(v) for k, v in (step.get("env") or {}).items()}}
        name = step.get("name") or step["run"]
        proc = _run(step["run"], cwd=repo, env=step_env)
        results.append((name, proc))
        if proc.returncode != 0 or (until and until in step["run"]):
            break
    return results


def test_the_workflow_init_writes_passes_in_a_fresh_venv_as_here(platform_repo: Path, runner: dict) -> None:
    workflow_env, steps = _steps(platform_repo)
    assert workflow_env["KSERVE_GITOPS_PACKAGE"] == f"kserve-gitops @ git+https://github.com/acme/ml-platform@v{__version__}"
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == [
        "actions/checkout", "actions/setup-python", "actions/setup-go", "actions/cache", "actions/cache",
    ]
    results = _run_workflow(platform_repo, runner)
    failed = [(name, p.stdout + p.stderr) for name, p in results if p.returncode != 0]
    assert not failed, failed
    runs = [name for name, _ in results]
    assert "kserve-gitops synth --check" in runs and "kserve-gitops validate -o github" in runs and "kserve-gitops policy test" in runs
    tools = dict(results)["Build the Go tools (skipped when the cache has them)"].stdout
    assert "up to date" in tools and "kustomize" in tools and "kserve-admission-v0.20.0" in tools
    assert (platform_repo / ".tools" / "bin" / "kserve-admission-v0.20.0").is_file()
    assert "schemas/ is there" in dict(results)["CRD schemas (a committed schemas/ folder, else fetched for the environments' KServe releases)"].stdout
    assert "/site-packages/kserve_gitops/policy_library/" in dict(results)["kserve-gitops policy test"].stdout

    # The same verdict as this checkout gives with its own venv, tools and ../shared/crds.
    fresh = _run(["kserve-gitops", "validate", "-o", "json"], cwd=platform_repo, env=runner["env"])
    here = subprocess.run(
        [sys.executable, "-m", "kserve_gitops", "validate", "-o", "json"], cwd=platform_repo, capture_output=True, text=True,
        env={**os.environ, "KSERVE_GITOPS_CRDS": str(SHARED_CRDS), "KSERVE_GITOPS_TOOLS": str(REPO / ".tools" / "bin")}, timeout=900,
    )
    assert fresh.returncode == here.returncode == 0, fresh.stdout + fresh.stderr + here.stderr
    assert _verdict(fresh.stdout) == _verdict(here.stdout)


def _verdict(output: str) -> tuple:
    payload = json.loads(output)
    findings = sorted((f["environment"], f["rule"], f["severity"], f["path"]) for f in payload["findings"])
    return findings, sorted((e["name"], e["verdict"]) for e in payload["environments"])


@pytest.mark.parametrize("edit, rule", [
    (("models/sklearn-iris/inferenceservice.yaml", "  predictor:\n", "  predictor:\n    minReplicas: 100000\n"), "replicas-max"),
    (("models/sklearn-iris/prod.yaml", "s3://models-prod/", "s3://models-dev/"), "storage-uri-allowed"),
], ids=["minReplicas-100000", "prod-reads-the-dev-bucket"])
def test_the_workflow_fails_a_model_beyond_the_repos_limits(platform_repo: Path, runner: dict, edit, rule) -> None:
    rel, old, new = edit
    target = platform_repo / rel
    original = target.read_text()
    try:
        target.write_text(original.replace(old, new))
        synth = _run(["kserve-gitops", "synth"], cwd=platform_repo, env=runner["env"])
        assert synth.returncode == 0, synth.stdout + synth.stderr
        results = _run_workflow(platform_repo, runner, until="validate")
        name, validate = results[-1]
        assert name == "kserve-gitops validate -o github", [n for n, _ in results]
        assert validate.returncode == 1, validate.stdout + validate.stderr
        assert f"({rule})" in validate.stdout or f"title={rule}" in validate.stdout or rule in validate.stdout
    finally:
        target.write_text(original)
        _run(["kserve-gitops", "synth"], cwd=platform_repo, env=runner["env"])
