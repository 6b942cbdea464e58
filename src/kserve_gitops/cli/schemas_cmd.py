from __future__ import annotations

import click

from ..validate.schemas import fetch_kserve_crds, import_crds, kserve_crd_urls
from .common import State, console
from .main import cli


@cli.group()
def schemas() -> None:
    """Fill the repo's schemas/ folder with CRDs that validate reads (laid out like ../shared/crds)."""


@schemas.command("import")
@click.argument("crd_file", type=click.File("r", encoding="utf-8"))
@click.option("--kserve-version", default=None, help="File KServe CRDs under schemas/kserve/<version>/ (else schemas/kserve/).")
@click.pass_obj
def import_cmd(state: State, crd_file, kserve_version: str | None) -> None:
    """Import CRDs from CRD_FILE or '-' (e.g. 'kubectl get crd -o yaml | kserve-gitops schemas import -')."""
    source = "<stdin>" if crd_file.name == "<stdin>" else crd_file.name
    written = import_crds(crd_file.read(), state.root / "schemas", source=source, kserve_version=kserve_version)
    for path in written:
        console().print(f"wrote {path}", markup=False)


@schemas.command("fetch")
@click.option("--kserve", "version", required=True, help="KServe release, e.g. v0.14.1.")
@click.option("--dry-run", is_flag=True, help="Print the URLs and write nothing (no network).")
@click.pass_obj
def fetch_cmd(state: State, version: str, dry_run: bool) -> None:
    """Download a KServe release's CRDs from GitHub into schemas/kserve/<version>/ (needs the network)."""
    if dry_run:
        for url in kserve_crd_urls(version):
            console().print(url, markup=False)
        return
    for path in fetch_kserve_crds(version, state.root / "schemas"):
        console().print(f"wrote {path}", markup=False)
