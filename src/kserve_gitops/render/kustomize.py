"""Render overlays with kustomize (a subprocess), or ``kubectl kustomize`` when no kustomize is installed."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import RenderError, ToolNotFound
from ..inputs.yamlsrc import KubeLoader
from ..tools import find_tool, run_tool

REMOTE = re.compile(r"^(https?://|git@|ssh://|github\.com/|gitlab\.com/|bitbucket\.org/)|\?ref=|//")
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class Renderer:
    command: tuple[str, ...]

    @property
    def name(self) -> str:
        return " ".join(Path(self.command[0]).name.split() + list(self.command[1:]))


def find_renderer() -> Renderer:
    kustomize = find_tool("kustomize", required=False)
    if kustomize:
        return Renderer((kustomize, "build"))
    kubectl = find_tool("kubectl", required=False)
    if kubectl:
        return Renderer((kubectl, "kustomize"))
    raise ToolNotFound(
        "neither kustomize nor kubectl is installed",
        hint="run 'make tools' to build the pinned kustomize into .tools/bin, or install kubectl",
    )


def check_local_only(directory: Path) -> None:
    """Refuse kustomizations that would reach the network: a PR gate renders only what is in the repo."""
    for path in sorted(directory.rglob("*")):
        if path.name not in KUSTOMIZATION_NAMES or not path.is_file():
            continue
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=KubeLoader) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise RenderError(f"unreadable kustomization: {exc}", path=path) from None
        if not isinstance(data, dict):
            raise RenderError("a kustomization must be a mapping", path=path)
        for key in ("resources", "bases", "components"):
            for entry in data.get(key) or []:
                if isinstance(entry, str) and REMOTE.search(entry):
                    raise RenderError(
                        f"{key} entry {entry!r} is a remote URL; rendering must not depend on the network",
                        path=path,
                        field=key,
                        hint="vendor the remote base into the repo, or render it with 'kserve-gitops synth'",
                    )


def render(directory: str | Path, *, renderer: Renderer | None = None, timeout: float = 300) -> str:
    """Run kustomize on one directory and return the rendered YAML stream."""
    directory = Path(directory)
    if not any((directory / n).is_file() for n in KUSTOMIZATION_NAMES):
        raise RenderError("no kustomization.yaml in this directory", path=directory, hint="run 'kserve-gitops synth'")
    check_local_only(directory)
    renderer = renderer or find_renderer()
    proc = run_tool([*renderer.command, str(directory)], timeout=timeout, check=False)
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace").strip()
        raise RenderError(
            f"{renderer.name} failed: {stderr.splitlines()[-1] if stderr else f'exit {proc.returncode}'}",
            path=directory,
        )
    return proc.stdout.decode()


def render_many(directories: dict[str, Path], *, renderer: Renderer | None = None) -> dict[str, str]:
    """Render several overlays in parallel (kustomize is single-threaded; each env is independent)."""
    renderer = renderer or find_renderer()
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {key: pool.submit(render, path, renderer=renderer) for key, path in directories.items()}
        return {key: future.result() for key, future in futures.items()}
