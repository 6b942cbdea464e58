"""``-o github``: GitHub Actions workflow commands (``::error file=…,line=…,col=…,title=…::message``),
which the runner turns into annotations on the pull request's changed lines, then one summary line
per environment."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from ..results import ERROR, WARNING, Finding, Report

if TYPE_CHECKING:
    from .options import ReportOptions

COMMANDS = {ERROR: "error", WARNING: "warning"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    command = COMMANDS.get(finding.severity, "notice")
    props = []
    if finding.path:
        props.append(f"file={escape_property(finding.path)}")
        if finding.line:
            props.append(f"line={finding.line}")
            props.append(f"col={finding.column or 1}")
    props.append(f"title={escape_property(finding.rule)}")
    where = f"{finding.object} " if finding.object.kind else ""
    field = f"{finding.json_path}: " if finding.json_path else ""
    env = f"[{finding.environment}] " if finding.environment else ""
    message = f"{env}{where}{field}{finding.message}"
    if finding.hint:
        message += f"\nhint: {finding.hint}"
    return f"::{command} {','.join(props)}::{escape_data(message)}"


def write(report: Report, stream: TextIO, options: "ReportOptions") -> None:
    for finding in report.findings:
        stream.write(annotation(finding) + "\n")
    for env in report.environments:
        stream.write(
            f"{env.name}: {env.objects} objects, {env.errors} errors, {env.warnings} warnings: "
            f"{env.verdict(fail_on_warn=report.fail_on_warn)}\n"
        )
