"""``canary``, ``promote``, ``rollback`` and ``migrate``: rollouts and rewrites as edits to files in git."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import EXIT_FINDINGS
from ..operate import lifecycle, migrate as migration
from .common import State, console, show_outcome

_ENV = click.option("-e", "--env", "env", required=True, help="The environment (from kserve-gitops.yaml).")
_DRY_RUN = click.option("--dry-run", is_flag=True, help="Print the change and validate it; write nothing.")


@click.command()
@click.argument("model")
@_ENV
@click.option("--storage-uri", default=None, help="Start a canary of this model version. Without it, shift the traffic of the canary in progress.")
@click.option("--percent", type=int, required=True, help="Share of the traffic for the canary, 1-99.")
@_DRY_RUN
@click.pass_obj
def canary(state: State, model: str, env: str, storage_uri: str | None, percent: int, dry_run: bool) -> None:
    """Start a canary of MODEL in one environment, or shift its traffic.

    Edits models/MODEL/ENV.yaml, prints the diff, synthesizes and validates before writing anything.
    Exit codes: 0 written, 1 the result does not validate (nothing written), 2 refused, 3 environment problem.
    """
    show_outcome(lifecycle.canary(state.root, model, env=env, percent=percent, storage_uri=storage_uri, dry_run=dry_run), dry_run)


@click.command()
@click.argument("model")
@_ENV
@_DRY_RUN
@click.pass_obj
def promote(state: State, model: str, env: str, dry_run: bool) -> None:
    """Send all of MODEL's traffic to its canary in one environment (the canary becomes the predictor)."""
    show_outcome(lifecycle.promote(state.root, model, env=env, dry_run=dry_run), dry_run)


@click.command()
@click.argument("model")
@_ENV
@click.option("--pin", is_flag=True, help="Classic canary (Knative mode): canaryTrafficPercent: 0, all traffic to the previous revision at once; the canary's revision stays.")
@click.option("--last-promotion", is_flag=True, help="No canary needed: restore the stable storageUri served before the last commit that changed it (from git history).")
@_DRY_RUN
@click.pass_obj
def rollback(state: State, model: str, env: str, pin: bool, last_promotion: bool, dry_run: bool) -> None:
    """Drop MODEL's canary in one environment and restore the stable version recorded in git.

    Validates the model in every environment it deploys to; findings about other models do not stop it.
    """
    show_outcome(lifecycle.rollback(state.root, model, env=env, dry_run=dry_run, pin=pin, last_promotion=last_promotion), dry_run)


@click.command()
@click.argument("path", required=False, type=click.Path(exists=True))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a file needs migrating.")
@click.option("--canary-form", type=click.Choice(migration.CANARY_FORMS), default="revision", show_default=True,
              help="How a legacy spec.canary is rewritten: canaryTrafficPercent on the predictor, or the list-form spec.canary (KServe v0.20.0+).")
@click.pass_obj
def migrate(state: State, path: str | None, check: bool, canary_form: str) -> None:
    """Rewrite legacy InferenceServices (v1alpha2, the spec.canary object form, per-framework predictors)
    under PATH (default: models/) into the current v1beta1 form, keeping comments."""
    target = Path(path) if path else state.root / "models"
    result = migration.migrate_path(target, canary_form=canary_form, write=not check)
    out = console()
    for change in result.changes:
        out.print(change.edit.unified_diff(), markup=False, end="")
        for note in change.notes:
            out.print(f"note: {change.edit.path}: {note}", markup=False)
    verb = "need migrating" if check else "migrated"
    out.print(f"{len(result.changes)} of {result.scanned} file(s) {verb}", markup=False)
    if check and result.changes:
        sys.exit(EXIT_FINDINGS)
