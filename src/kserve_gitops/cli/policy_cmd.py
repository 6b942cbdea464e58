"""``kserve-gitops policy``: run the Rego policy gate on its own (test, list, eval/check)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..report import REPORTERS, ReportOptions
from ..validate.policy import ENGINE_NAMES
from ..validate.policy.bundle import load_policies
from ..validate.policy.engine import TestOutcome
from ..validate.policy.evaluate import evaluate_paths
from ..validate.policy.testing import run_policy_tests
from .common import State, console

EXIT_HELP = """
\b
Exit codes:
  0  clean / every test passed
  1  findings (warnings too with --fail-on-warn) / a test failed
  2  bad usage or unreadable input
  3  a policy that does not compile or fails at run time, or an unreachable OPA server
"""


def _dirs(state: State, given: tuple[str, ...]) -> list[Path]:
    """The repo's policy folders: those given, else the repo's policies/ when it has one."""
    if given:
        return [Path(d) for d in given]
    default = state.root / "policies"
    return [default] if default.is_dir() else []


engine_option = click.option(
    "--engine", type=click.Choice(ENGINE_NAMES), default="regorus", show_default=True, help="Rego engine: in process, or a real OPA server."
)
opa_url_option = click.option("--opa-url", default=None, help="Use this OPA server (implies --engine opa).")
no_builtin_option = click.option(
    "--no-builtin", is_flag=True, help="Only the given folders, without the built-in library shipped with kserve-gitops."
)


@click.group()
def policy() -> None:
    """Rego policies: run their tests, list the rules, evaluate files (conftest conventions)."""


@policy.command("test", epilog=EXIT_HELP)
@click.argument("dirs", nargs=-1, type=click.Path(exists=True))
@engine_option
@opa_url_option
@no_builtin_option
@click.pass_obj
def test_cmd(state: State, dirs: tuple[str, ...], engine: str, opa_url: str | None, no_builtin: bool) -> None:
    """Run the test_* rules of the built-in library and of every *_test.rego under DIRS (default: policies/),
    like 'opa test'."""
    out = console()

    def show(outcome: TestOutcome) -> None:
        colour = {"PASS": "green", "FAIL": "red", "ERROR": "red"}[outcome.status]
        out.print(f"[{colour}]{outcome.status}[/] {outcome.path}:{outcome.line}: data.{outcome.package}.{outcome.name}", highlight=False)
        if outcome.error:
            out.print(f"  {outcome.error}", markup=False, highlight=False)

    report = run_policy_tests(_dirs(state, dirs), engine=engine, opa_url=opa_url, on_result=show, builtin=not no_builtin)
    total = len(report.outcomes)
    out.print(f"{total} tests, {report.passed} passed, {report.failed} failed, {report.errors} errors", highlight=False)
    sys.exit(report.exit_code())


@policy.command("list")
@click.argument("dirs", nargs=-1, type=click.Path(exists=True))
@no_builtin_option
@click.pass_obj
def list_cmd(state: State, dirs: tuple[str, ...], no_builtin: bool) -> None:
    """Print each rule's id, severity, package, source and description (tab-separated).

    The source is 'builtin' for the library shipped with kserve-gitops, else the repo file that defines the
    rule; a built-in package turned off in policies/library.yaml reads 'builtin (disabled)'.
    """
    bundle = load_policies(_dirs(state, dirs), builtin=not no_builtin)
    disabled = set(bundle.disabled)
    for rule in bundle.documented_rules():
        rule_id = rule.id or f"{rule.package}.{rule.name}"
        severity = rule.severity or rule.default_severity
        text = rule.description or rule.title or f"{rule.path}:{rule.line}"
        source = bundle.source_of(rule) + (" (disabled)" if rule.package in disabled else "")
        click.echo(f"{rule_id}\t{severity}\t{rule.package}\t{source}\t{text}")


def _eval(state: State, paths, policy_dirs, namespaces, engine, opa_url, combine, fail_on_warn, environment, output, no_builtin) -> None:
    report = evaluate_paths(
        list(paths),
        policy_dirs=_dirs(state, policy_dirs),
        namespaces=list(namespaces),
        engine=engine,
        opa_url=opa_url,
        combine=combine,
        fail_on_warn=fail_on_warn,
        root=state.root,
        environment=environment,
        stdin=sys.stdin.buffer,
        builtin=not no_builtin,
    )
    stream = sys.stdout
    REPORTERS[output](report, stream, ReportOptions(color=stream.isatty()))
    stream.flush()
    sys.exit(report.exit_code())


def _eval_command(name: str, help_text: str):
    @policy.command(name, help=help_text, epilog=EXIT_HELP)
    @click.argument("paths", nargs=-1, required=True)
    @click.option("-p", "--policy", "policy_dirs", multiple=True, type=click.Path(exists=True), help="Policy folder (repeatable; default policies/).")
    @click.option("-n", "--namespace", "namespaces", multiple=True, help="Rego package to evaluate (repeatable; default: every package with deny/violation/warn rules).")
    @engine_option
    @opa_url_option
    @no_builtin_option
    @click.option("--combine", is_flag=True, help="Evaluate once with the list of all documents as input.")
    @click.option("--fail-on-warn", is_flag=True, help="Warnings fail the run (exit 1).")
    @click.option("-e", "--env", "environment", default=None, help="data.params from this environment of kserve-gitops.yaml.")
    @click.option("-o", "--output", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
    @click.pass_obj
    def command(state: State, **kwargs) -> None:
        _eval(state, **kwargs)

    return command


_eval_command("eval", "Evaluate the policies over files, folders or '-' (conftest test). data.inventory holds every given object.")
_eval_command("check", "Same as 'policy eval'.")
