from __future__ import annotations

import sys

import click

from ..render.cache import render_environment
from ..inputs.repo import load_inputs
from .common import State


@click.command("render")
@click.argument("environment")
@click.option("--no-cache", is_flag=True, help="Render the environment whole; do not read or write the render cache.")
@click.pass_obj
def render_command(state: State, environment: str, no_cache: bool) -> None:
    """Render overlays/ENVIRONMENT with kustomize and print the manifests."""
    config, _ = load_inputs(state.root)
    config.environment(environment)
    sys.stdout.write(render_environment(state.root / "overlays" / environment, use_cache=not no_cache).stream)
