from __future__ import annotations

import sys
from pathlib import Path

import click

from ..report.text import print_report
from ..validate.run import ValidateOptions, validate_repo
from .common import State, console
from .main import cli


@cli.command()
@click.option("-e", "--env", "environments", multiple=True, help="Only this environment (repeatable).")
@click.option("--strict", is_flag=True, help="Unknown fields are errors.")
@click.option("--schemas", "schema_paths", multiple=True, type=click.Path(exists=True), help="CRD files or folders (repeatable).")
@click.option("--ignore-missing-schemas", is_flag=True, help="Objects without a schema are a warning, not an error.")
@click.option("--skip", "skip", default="", help="Comma-separated kinds not to validate.")
@click.option("--kubernetes-version", default=None, help="Core schemas for this Kubernetes version.")
@click.option("--kserve-version", default=None, help="Check against this KServe CRD set.")
@click.pass_obj
def validate(state: State, environments, strict, schema_paths, ignore_missing_schemas, skip, kubernetes_version, kserve_version) -> None:
    """Render every environment and validate each object against its schema.

    Exit codes: 0 clean, 1 findings, 2 bad input, 3 missing tool or environment problem.
    """
    options = ValidateOptions(
        environments=list(environments) or None,
        strict=strict,
        schema_paths=[Path(p) for p in schema_paths],
        ignore_missing_schemas=ignore_missing_schemas,
        skip_kinds=frozenset(k.strip() for k in skip.split(",") if k.strip()),
        kubernetes_version=kubernetes_version,
        kserve_version=kserve_version,
    )
    report = validate_repo(state.root, options)
    print_report(report, console())
    sys.exit(report.exit_code())
