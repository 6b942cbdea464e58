"""Human-readable report: one line per finding (file:line:col), then a table per environment."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..results import ERROR, WARNING, Report

STYLE = {ERROR: "red", WARNING: "yellow"}


def print_report(report: Report, console: Console) -> None:
    for f in report.findings:
        where = f.location()
        obj = f" {f.object}" if f.object.kind else ""
        env = f"[{f.environment}] " if f.environment else ""
        field = f" {f.json_path}:" if f.json_path else ""
        console.print(
            f"{where}: [{STYLE.get(f.severity, 'dim')}]{f.severity}[/] {env}{obj.strip()}{field} {f.message} ({f.rule})",
            markup=True,
            highlight=False,
        )
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
