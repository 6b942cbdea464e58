from __future__ import annotations

import sys
from pathlib import Path

import click

from ..report import REPORTERS, ReportOptions
from ..errors import InputError, UsageError, input_errors
from ..results import input_error_report
from ..inputs.config import CONFIG_FILE, load_config
from ..validate.run import ValidateOptions, validate_paths, validate_repo
from .common import State

HELP = """Validate manifests: schemas (core Kubernetes + CRDs), KServe-aware checks and policies.

With no PATH, render every overlays/<env> of the repo and check each against that environment's
Kubernetes and KServe versions. With PATHs, check files (multi-document YAML or JSON; List kinds are
unwrapped), folders (recursively; a folder with a kustomization.yaml is rendered with kustomize first)
and '-' (standard input).

\b
Exit codes:
  0  clean (warnings allowed unless --fail-on-warn)
  1  findings
  2  bad usage or unreadable input (a YAML file that does not parse, a kustomization that fails)
  3  a missing tool or environment problem (kustomize/kubeconform/kserve-admission not installed, a schema
     that does not load, an admission helper that fails)

The admission stage runs each environment's objects through its KServe release's own webhooks and the
API server's CRD validation (formats, CEL), in the API server's order; --base REF makes objects that
exist at REF UPDATEs of their rendering there (deploymentMode changes and the like).
"""


@click.command(help=HELP, short_help="Validate rendered environments or files against schemas and checks.")
@click.argument("paths", nargs=-1)
@click.option("-e", "--env", "environments", multiple=True, help="Only this environment (repeatable); with PATHs, whose versions to use.")
@click.option("-o", "--output", "output", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True, help="Output format.")
@click.option("--strict", is_flag=True, help="Unknown fields and duplicate keys are errors.")
@click.option("--schemas", "schema_paths", multiple=True, type=click.Path(exists=True), help="CRD YAML or JSON schema files or folders (repeatable).")
@click.option("--ignore-missing-schemas", is_flag=True, help="Objects without a schema are a warning, not an error.")
@click.option("--skip", "skip", multiple=True, help="Kinds not to schema-check, comma-separated (repeatable).")
@click.option("--kubernetes-version", default=None, help="Core schemas for this Kubernetes version (default: the environment's, else the newest bundled).")
@click.option("--kserve-version", default=None, help="Check against this KServe CRD set (default: the environment's).")
@click.option("--engine", "engine", type=click.Choice(["builtin", "kubeconform"]), default="builtin", show_default=True, help="Schema engine.")
@click.option("--summary", is_flag=True, help="Text output: only the summary table.")
@click.option("--verbose", is_flag=True, help="Text output: also each finding's hint, and every valid object.")
@click.option("--no-schemas", is_flag=True, help="Skip schema validation (other checks still run).")
@click.option("--no-policy", is_flag=True, help="Skip Rego policies.")
@click.option("--policy", "policy_dirs", multiple=True, type=click.Path(exists=True, file_okay=False), help="Policy folder (repeatable).")
@click.option("--namespace", "policy_namespaces", multiple=True, help="Rego package to evaluate (repeatable).")
@click.option("--policy-engine", type=click.Choice(["regorus", "opa"]), default="regorus", show_default=True, help="Rego engine.")
@click.option("--opa-url", default=None, help="Evaluate policies on this OPA server instead of in process.")
@click.option("--fail-on-warn", is_flag=True, help="Warnings fail the run (exit 1).")
@click.option("--no-cache", is_flag=True, help="Render every environment whole and parse every file; do not read or write the render or parsed-file caches.")
@click.option("--no-admission", is_flag=True, help="Skip the admission stage (KServe's webhooks, CRD formats and CEL rules).")
@click.option("--base", "base_ref", default=None, help="Objects that exist at this git revision are checked as UPDATEs of their rendering there.")
@click.pass_obj
def validate(
    state: State,
    paths: tuple[str, ...],
    environments: tuple[str, ...],
    output: str,
    strict: bool,
    schema_paths: tuple[str, ...],
    ignore_missing_schemas: bool,
    skip: tuple[str, ...],
    kubernetes_version: str | None,
    kserve_version: str | None,
    engine: str,
    summary: bool,
    verbose: bool,
    no_schemas: bool,
    no_policy: bool,
    policy_dirs: tuple[str, ...],
    policy_namespaces: tuple[str, ...],
    policy_engine: str,
    opa_url: str | None,
    fail_on_warn: bool,
    no_cache: bool,
    no_admission: bool,
    base_ref: str | None,
) -> None:
    options = ValidateOptions(
        environments=list(environments) or None,
        strict=strict,
        schema_paths=[Path(p) for p in schema_paths],
        ignore_missing_schemas=ignore_missing_schemas,
        skip_kinds=frozenset(k.strip() for item in skip for k in item.split(",") if k.strip()),
        kubernetes_version=kubernetes_version,
        kserve_version=kserve_version,
        schemas=not no_schemas,
        schema_engine=engine,
        policies=not no_policy,
        policy_dirs=[Path(p) for p in policy_dirs],
        policy_namespaces=list(policy_namespaces),
        policy_engine=policy_engine,
        opa_url=opa_url,
        fail_on_warn=fail_on_warn,
        render_cache=not no_cache,
        admission=not no_admission,
    )
    if base_ref is not None:
        if paths:
            raise UsageError("--base compares the repo's environments with a git revision; it takes no PATHs")
        names = [env.name for env in load_config(state.root / CONFIG_FILE).select(options.environments)]
        from ..validate.base import objects_at_ref  # git and the render cache, only with --base

        options.base_objects = objects_at_ref(state.root, base_ref, names)
    try:
        if paths:
            report = validate_paths(list(paths), options, root=state.root, stdin=sys.stdin.buffer)
        else:
            report = validate_repo(state.root, options)
    except InputError as exc:
        if output == "text" or isinstance(exc, UsageError):
            raise  # printed on stderr, every error of it
        # CI reads the chosen format: bad input must show up there too (SARIF results, JUnit failures...)
        report = input_error_report(input_errors(exc))
    stream = sys.stdout
    REPORTERS[output](report, stream, ReportOptions(color=stream.isatty(), summary=summary, verbose=verbose))
    stream.flush()
    sys.exit(report.exit_code())
