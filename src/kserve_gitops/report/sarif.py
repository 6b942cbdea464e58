"""``-o sarif``: SARIF 2.1.0 for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run, tool ``kserve-gitops``; a rule per rule id that occurs; each result located at the file, line and
column of the field to change, with the object and JSON path as a logical location.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from .. import __version__
from ..results import ERROR, WARNING, Finding, Report

if TYPE_CHECKING:
    from .options import ReportOptions

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {ERROR: "error", WARNING: "warning"}


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(f.severity, "note"),
        "message": {"text": f.message + (f"\nhint: {f.hint}" if f.hint else "")},
    }
    location: dict[str, Any] = {}
    if f.path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": quote(f.path.replace("\\", "/")), "uriBaseId": "%SRCROOT%"}}
        if f.line:
            physical["region"] = {"startLine": f.line, "startColumn": max(f.column, 1)}
        location["physicalLocation"] = physical
    if f.object.kind:
        name = f"{f.environment + '/' if f.environment else ''}{f.object}"
        if f.json_path:
            name += f":{f.json_path}"
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "object"}]
    if location:
        result["locations"] = [location]
    result["partialFingerprints"] = {"objectField/v1": f"{f.environment}|{f.object}|{f.json_path}|{f.rule}"}
    return result


def to_sarif(report: Report) -> dict[str, Any]:
    findings = report.findings
    rule_ids = sorted({f.rule for f in findings})
    index = {rule: i for i, rule in enumerate(rule_ids)}
    rules = [
        {
            "id": rule,
            "name": rule,
            "shortDescription": {"text": report.rules.get(rule, rule)},
            "help": {"text": "See docs/validate.md in kserve-gitops for what the rule checks and how to fix it."},
        }
        for rule in rule_ids
    ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "kserve-gitops", "version": __version__, "rules": rules}},
                "results": [_result(f, index[f.rule]) for f in findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def write(report: Report, stream: TextIO, options: "ReportOptions") -> None:
    json.dump(to_sarif(report), stream, indent=2)
    stream.write("\n")
