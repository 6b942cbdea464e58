from __future__ import annotations

import sys

import click

from ..render.kustomize import render
from ..inputs.repo import load_inputs
from .common import State
from .main import cli


@cli.command("render")
@click.argument("environment")
@click.pass_obj
def render_command(state: State, environment: str) -> None:
    """Render overlays/ENVIRONMENT with kustomize and print the manifests."""
    config, _ = load_inputs(state.root)
    config.environment(environment)
    sys.stdout.write(render(state.root / "overlays" / environment))
