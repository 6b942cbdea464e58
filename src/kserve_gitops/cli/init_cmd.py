"""``init``: scaffold a new platform repository."""

from __future__ import annotations

from pathlib import Path

import click

from ..operate.scaffold import init_repo
from .common import State, console


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--project", default=None, help="Project name (default: the folder's name).")
@click.option("--no-synth", is_flag=True, help="Write the inputs only; do not generate charts/ and overlays/.")
@click.pass_obj
def init(state: State, directory: str, project: str | None, no_synth: bool) -> None:
    """Scaffold a platform repo in DIRECTORY: kserve-gitops.yaml, an example model, policies/ (additions to the
    built-in policy library and waivers),
    cdk8s.yaml, a GitHub workflow and pre-commit hooks; then synthesize it.

    Refuses to overwrite existing files.
    """
    result = init_repo(Path(directory), project=project, synth=not no_synth)
    out = console()
    for rel in result.files:
        out.print(f"  created {rel}", markup=False)
    if result.generated:
        out.print(f"  generated {len(result.generated.files)} file(s) in charts/ and overlays/", markup=False)
    out.print(f"next: cd {directory} && git init && kserve-gitops validate", markup=False)
