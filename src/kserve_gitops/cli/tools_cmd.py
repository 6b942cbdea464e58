"""``kserve-gitops tools``: build the Go tools validate drives (kustomize, KServe's admission webhooks)."""

from __future__ import annotations

from pathlib import Path

import click

from .. import toolbuild
from .common import State, console


@click.group()
def tools() -> None:
    """The external tools kserve-gitops drives, built with Go from pinned versions and shipped sources."""


@tools.command("install")
@click.option("--dest", type=click.Path(file_okay=False), default=None,
              help="Tools folder (default: $KSERVE_GITOPS_TOOLS, else .tools/bin of the repo, where validate looks).")
@click.option("--kserve", "versions", multiple=True,
              help="Build the admission helper for this KServe release (repeatable; default: every release kserve-gitops.yaml uses).")
@click.option("--no-kustomize", is_flag=True, help="Do not build the pinned kustomize (use kustomize or kubectl from PATH).")
@click.option("--force", is_flag=True, help="Rebuild even when the version stamps match.")
@click.pass_obj
def install_cmd(state: State, dest: str | None, versions: tuple[str, ...], no_kustomize: bool, force: bool) -> None:
    """Build the pinned kustomize and kserve-admission-<version> for each KServe release (needs Go; the Go
    module proxy the first time). Tools whose version stamp matches are kept, so a cached folder costs nothing."""
    target = Path(dest) if dest else toolbuild.default_tools_dir(state.root)
    wanted = list(versions) or toolbuild.repo_kserve_versions(state.root)
    out = console()

    def show(built: toolbuild.Built) -> None:
        out.print(f"{built.status:>10}  {built.path} ({built.version})", markup=False)

    toolbuild.install_tools(target, kserve_versions=wanted, tools=() if no_kustomize else toolbuild.REPO_TOOLS, force=force, on_result=show)


@tools.command("list")
@click.pass_obj
def list_cmd(state: State) -> None:
    """The KServe releases whose admission helper sources ship with this version of kserve-gitops."""
    for version in toolbuild.helper_versions():
        click.echo(f"{toolbuild.HELPER_NAME.format(version=version)}\t{toolbuild.helper_digest(version)}")
