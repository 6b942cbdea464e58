"""``model add``: a model version from the MLflow registry (or a storage URI) as a change under ``models/``."""

from __future__ import annotations

import click

from ..errors import UsageError
from .common import State, show_outcome


@click.group()
def model() -> None:
    """Add model versions to the platform repository."""


@model.command("add")
@click.argument("name")
@click.option("--from-mlflow", "model_uri", metavar="models:/NAME/VERSION|ALIAS", help="A registered model version or alias.")
@click.option("--tracking-uri", default=None, help="MLflow tracking/registry URI (default: $MLFLOW_TRACKING_URI).")
@click.option("--storage-uri", default=None, help="Instead of a registry: the model version's storage URI.")
@click.option("--format", "model_format", default=None, help="With --storage-uri for a new model: its KServe modelFormat, e.g. sklearn.")
@click.option("-e", "--env", "env", default=None, help="Environment (default: the first of the promotion order).")
@click.option("--percent", type=int, default=10, show_default=True, help="Canary traffic share for an existing model.")
@click.option("--team", default=None, help="team label of a new model (default: the registered model's 'team' tag).")
@click.option("--owner", default=None, help="owner label of a new model (default: the registered model's 'owner' tag).")
@click.option("--artifact-uri-map", "uri_map", multiple=True, metavar="FROM=TO",
              help="Rewrite an artifact location prefix, e.g. file:///mlruns=s3://acme-mlflow/mlruns (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print the change and validate it; write nothing.")
@click.pass_obj
def add(
    state: State,
    name: str,
    model_uri: str | None,
    tracking_uri: str | None,
    storage_uri: str | None,
    model_format: str | None,
    env: str | None,
    percent: int,
    team: str | None,
    owner: str | None,
    uri_map: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Write NAME's new version: a new models/NAME/inferenceservice.yaml, or a canary of an existing model
    in ENV (a full rollout where ENV cannot split traffic). Validated in a copy before anything is written.

    Exit codes: 0 written, 1 the result does not validate (nothing written), 2 refused (unknown version,
    a flavor KServe cannot serve, a local-only artifact location), 3 registry or environment problem.
    """
    from ..operate import mlflow as registry  # the MLflow client loads only for this command

    if bool(model_uri) == bool(storage_uri):
        raise UsageError("give exactly one of --from-mlflow models:/NAME/VERSION and --storage-uri URI")
    if model_uri:
        source = registry.read_registry(model_uri, tracking_uri=tracking_uri)
    else:
        source = registry.ModelSource(artifact_uri=str(storage_uri), model_format=model_format)
    outcome = registry.add_model(
        state.root, name, source, env=env, percent=percent, team=team, owner=owner, uri_map=list(uri_map), dry_run=dry_run
    )
    show_outcome(outcome, dry_run)
