"""``kserve-gitops tools install``: build the Go tools kserve-gitops drives, on any machine with Go.

The admission stage needs ``kserve-admission-<version>``, one binary per KServe release, built from the Go
sources shipped in the package (``validate/admission_helper/``); rendering prefers the pinned kustomize.
This builds them into a tools folder (default ``.tools/bin`` of the repo, where ``tools.find_tool`` looks)
the way ``scripts/install-tools.sh`` does, with the same version stamps, so a folder restored from a CI
cache is recognised and nothing is rebuilt. Building needs Go and, the first time, the Go module proxy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .errors import ToolFailed, ToolNotFound, UsageError
from .tools import PINNED

HELPER_DIR = Path(__file__).resolve().parent / "validate" / "admission_helper"
HELPER_NAME = "kserve-admission-{version}"
# The Go tools a platform repo's CI needs besides the admission helpers (the rest are for this project's tests).
REPO_TOOLS = ("kustomize",)


@dataclass
class Built:
    name: str
    version: str
    status: str  # "built", "up to date"
    path: Path


def helper_versions() -> list[str]:
    """The KServe releases the shipped helper sources cover."""
    return sorted(p.name[len("kserve-") :] for p in HELPER_DIR.glob("kserve-*") if p.is_dir())


def helper_digest(version: str) -> str:
    """The stamp ``scripts/install-tools.sh`` writes: the release and a hash of the helper's sources."""
    src = HELPER_DIR / f"kserve-{version}"
    common = HELPER_DIR / "common"
    files = [*sorted(common.glob("*.go")), *sorted(common.glob("go.*")), *sorted(src.glob("*.go")), *sorted(src.glob("go.*"))]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    return f"{version} {digest}"


def repo_kserve_versions(root: Path) -> list[str]:
    """The KServe releases the environments of ``root/kserve-gitops.yaml`` run."""
    from .inputs.config import CONFIG_FILE, load_config

    config = load_config(root / CONFIG_FILE)
    return sorted({env.kserve_version for env in config.environments.values()})


def default_tools_dir(root: Path) -> Path:
    if os.environ.get("KSERVE_GITOPS_TOOLS"):
        return Path(os.environ["KSERVE_GITOPS_TOOLS"])
    return root / ".tools" / "bin"


def _go() -> str:
    go = shutil.which("go")
    if not go:
        raise ToolNotFound("go is not installed", hint="install Go (actions/setup-go in CI), then run 'kserve-gitops tools install' again")
    return go


def _go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


def _run(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(command, cwd=cwd, env=env or _go_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolFailed(f"{' '.join(command[:3])} failed (exit {proc.returncode})", command=command, stderr=proc.stderr)
    return proc.stdout


def _stamp(dest: Path, name: str) -> Path:
    return dest / f".{name}.version"


def _current(dest: Path, name: str, version: str) -> bool:
    binary = dest / name
    try:
        return binary.is_file() and os.access(binary, os.X_OK) and _stamp(dest, name).read_text().strip() == version
    except OSError:
        return False


def build_admission_helper(version: str, dest: Path, *, force: bool = False) -> Built:
    """``kserve-admission-<version>`` from the shipped sources with ``go build`` (skipped when its stamp matches)."""
    known = helper_versions()
    if version not in known:
        raise UsageError(f"no kserve-admission helper for KServe {version} (have: {', '.join(known)})")
    name = HELPER_NAME.format(version=version)
    digest = helper_digest(version)
    if not force and _current(dest, name, digest):
        return Built(name, digest, "up to date", dest / name)
    go = _go()
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kserve-admission-") as tmp:
        build = Path(tmp)
        shutil.copytree(HELPER_DIR / "common", build / "common")
        shutil.copytree(HELPER_DIR / f"kserve-{version}", build / f"kserve-{version}")
        work = build / f"kserve-{version}"
        # The release's inferenceservice-config ConfigMap comes from the kserve module itself.
        info = json.loads(_run([go, "mod", "download", "-json", f"github.com/kserve/kserve@{version}"], cwd=work))
        shutil.copyfile(Path(info["Dir"]) / "config" / "configmap" / "inferenceservice.yaml", work / "inferenceservice-config.yaml")
        _run([go, "build", "-trimpath", "-o", str(dest.resolve() / name), "."], cwd=work)
    _stamp(dest, name).write_text(digest + "\n")
    return Built(name, digest, "built", dest / name)


def install_go_tool(name: str, dest: Path, *, force: bool = False) -> Built:
    """A pinned Go tool (``tools.PINNED``) with ``go install`` into ``dest`` (skipped when its stamp matches)."""
    if name not in PINNED:
        raise UsageError(f"unknown tool {name!r} (pinned: {', '.join(sorted(PINNED))})")
    package, version = PINNED[name]
    if not force and _current(dest, name, version):
        return Built(name, version, "up to date", dest / name)
    go = _go()
    dest.mkdir(parents=True, exist_ok=True)
    _run([go, "install", f"{package}@{version}"], env={**_go_env(), "GOBIN": str(dest.resolve())})
    _stamp(dest, name).write_text(version + "\n")
    return Built(name, version, "built", dest / name)


def install_tools(
    dest: Path,
    *,
    kserve_versions: Iterable[str],
    tools: Iterable[str] = REPO_TOOLS,
    force: bool = False,
    on_result: Callable[[Built], None] | None = None,
) -> list[Built]:
    results = []
    for name in tools:
        results.append(install_go_tool(name, dest, force=force))
        if on_result:
            on_result(results[-1])
    for version in kserve_versions:
        results.append(build_admission_helper(version, dest, force=force))
        if on_result:
            on_result(results[-1])
    return results
