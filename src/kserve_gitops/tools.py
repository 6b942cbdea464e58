"""Finding the external tools kserve-gitops drives, and running them behind one boundary.

Pinned versions are built by ``make tools`` (``scripts/install-tools.sh``) into the project-local
``.tools/bin`` when they are not on PATH. Lookup order: ``KSERVE_GITOPS_<TOOL>`` (an explicit path), the
project-local tools folder, PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .errors import ToolFailed, ToolNotFound

# The versions the project's set-up builds; `kserve-gitops doctor` and the README show them.
PINNED = {
    "kustomize": ("sigs.k8s.io/kustomize/kustomize/v5", "v5.8.1"),
    "kubeconform": ("github.com/yannh/kubeconform/cmd/kubeconform", "v0.8.0"),
    "opa": ("github.com/open-policy-agent/opa", "v1.22.3"),
    "conftest": ("github.com/open-policy-agent/conftest", "v0.71.1"),
    "actionlint": ("github.com/rhysd/actionlint/cmd/actionlint", "v1.7.12"),  # lints our workflows in tests
    "helm": ("helm.sh/helm/v4/cmd/helm", "v4.3.2"),  # `helm template` for install.render (offline, local charts)
}
INSTALL_HINT = "run 'make tools' (builds the pinned version into .tools/bin with 'go install')"


def tool_dirs() -> list[Path]:
    # KSERVE_GITOPS_TOOLS names the one tools folder to use (CI, tests); otherwise the project-local one.
    if os.environ.get("KSERVE_GITOPS_TOOLS"):
        return [Path(os.environ["KSERVE_GITOPS_TOOLS"])]
    dirs = [Path.cwd() / ".tools" / "bin"]
    # An editable install run from elsewhere still finds the checkout's tools.
    dirs.append(Path(__file__).resolve().parents[2] / ".tools" / "bin")
    return dirs


def find_tool(name: str, *, required: bool = True, hint: str | None = None) -> str | None:
    explicit = os.environ.get(f"KSERVE_GITOPS_{name.upper()}")
    if explicit:
        if Path(explicit).is_file() and os.access(explicit, os.X_OK):
            return explicit
        raise ToolNotFound(f"KSERVE_GITOPS_{name.upper()}={explicit} is not an executable file")
    for directory in tool_dirs():
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    if required:
        raise ToolNotFound(f"{name} is not installed", hint=hint or INSTALL_HINT)
    return None


def run_tool(
    command: list[str],
    *,
    input: str | bytes | None = None,
    cwd: str | Path | None = None,
    timeout: float = 300,
    check: bool = True,
    error: type[ToolFailed] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run an external tool; failures become ``ToolFailed`` (or ``error``) carrying the command and stderr."""
    data = input.encode() if isinstance(input, str) else input
    try:
        proc = subprocess.run(command, input=data, cwd=cwd, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise ToolNotFound(f"{command[0]} is not installed", hint=INSTALL_HINT) from None
    except subprocess.TimeoutExpired:
        raise ToolFailed(f"{Path(command[0]).name} did not finish within {timeout:.0f}s", command=command) from None
    if check and proc.returncode != 0:
        exc = error or ToolFailed
        raise exc(
            f"{Path(command[0]).name} failed (exit {proc.returncode})",
            command=command,
            stderr=proc.stderr.decode(errors="replace"),
        )
    return proc
