"""Human-readable report: one line per finding (file:line:col), then a table per environment."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..results import ERROR, WARNING, Report

if TYPE_CHECKING:
    from .options import ReportOptions

STYLE = {ERROR: "red", WARNING: "yellow"}


def print_report(report: Report, console: Console, *, verbose: bool = False) -> None:
    for f in report.findings:
        # one space between the parts a finding has: [env], the object, the field, the message
        parts = [f"[{f.environment}]" if f.environment else "", str(f.object).strip() if f.object.kind else "",
                 f"{f.json_path}:" if f.json_path else "", f.message, f"({f.rule})"]
        console.print(
            f"{escape(f.location())}: [{STYLE.get(f.severity, 'dim')}]{f.severity}[/] " + " ".join(escape(p) for p in parts if p),
            markup=True,
            highlight=False,
        )
        if verbose and f.hint:
            console.print(f"  hint: {f.hint}", markup=False, highlight=False)
    if verbose:
        for env in report.environments:
            for ref in env.valid_objects():
                console.print(f"{escape(f'[{env.name}] {ref}')}: [green]valid[/]", markup=True, highlight=False)
    _print_table(report, console)


def _print_table(report: Report, console: Console) -> None:
    table = Table(title=None, show_edge=False)
    for column in ("environment", "objects", "models", "errors", "warnings", "verdict"):
        table.add_column(column, justify="right" if column not in ("environment", "verdict") else "left")
    for env in report.environments:
        verdict = env.verdict(fail_on_warn=report.fail_on_warn)
        table.add_row(
            env.name,
            str(env.objects),
            str(env.models),
            str(env.errors),
            str(env.warnings),
            f"[green]{verdict}[/]" if verdict == "pass" else f"[red]{verdict}[/]",
        )
    console.print(table)


def write(report: Report, stream: TextIO, options: "ReportOptions") -> None:
    """``-o text``: colour only when ``options.color`` (the CLI sets it when stdout is a terminal)."""
    console = Console(
        file=stream,
        highlight=False,
        soft_wrap=True,
        force_terminal=options.color,
        no_color=not options.color,
        color_system="standard" if options.color else None,
    )
    if options.summary:
        _print_table(report, console)
        return
    print_report(report, console, verbose=options.verbose)
