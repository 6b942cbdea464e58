from __future__ import annotations

import click

from ..errors import UsageError
from ..operate.schemas_import import KSERVE_SOURCE, PLATFORM_CRD_URLS, fetch_kserve_crds, fetch_platform_crds, import_crds, kserve_crd_urls
from .common import State, console


@click.group()
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
@click.option("--kserve", "versions", multiple=True, help="KServe release, e.g. v0.14.1 (repeatable).")
@click.option("--from-config", is_flag=True, help="Every KServe release the environments of kserve-gitops.yaml run.")
@click.option("--platform", is_flag=True, help="Also the Istio, Prometheus operator and ArgoCD CRDs the platform uses.")
@click.option("--source", default=KSERVE_SOURCE, show_default=True, help="Where a KServe release's files are read ({version} is the tag): a mirror of github.com/kserve/kserve's raw files.")
@click.option("--dry-run", is_flag=True, help="Print the URLs it starts from and write nothing (no network).")
@click.pass_obj
def fetch_cmd(state: State, versions: tuple[str, ...], from_config: bool, platform: bool, source: str, dry_run: bool) -> None:
    """Download CRDs from GitHub into schemas/: KServe releases under schemas/kserve/<version>/ (every CRD
    its config/crd/full kustomization lists, and on releases that have them LLMInferenceService and the
    local model cache's), the platform's other CRDs under schemas/<group>/ (the only command that needs the
    network)."""
    if from_config:
        from ..toolbuild import repo_kserve_versions

        versions = tuple(dict.fromkeys([*versions, *repo_kserve_versions(state.root)]))
    if not versions and not platform:
        raise UsageError("name at least one --kserve VERSION, or --platform")
    if dry_run:
        urls = [url for version in versions for url in kserve_crd_urls(version, source)]
        for url in urls + (list(PLATFORM_CRD_URLS) if platform else []):
            console().print(url, markup=False)
        return
    written = [path for version in versions for path in fetch_kserve_crds(version, state.root / "schemas", source=source)]
    if platform:
        written += fetch_platform_crds(state.root / "schemas")
    for path in written:
        console().print(f"wrote {path}", markup=False)
