"""``-o json``: the whole report as one JSON document (stable key order, findings sorted)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

from ..results import Report

if TYPE_CHECKING:
    from .options import ReportOptions

FORMAT_VERSION = 1


def to_dict(report: Report) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "exitCode": report.exit_code(),
        "environments": [
            {
                "name": env.name,
                "objects": env.objects,
                "models": env.models,
                "errors": env.errors,
                "warnings": env.warnings,
                "verdict": env.verdict(fail_on_warn=report.fail_on_warn),
            }
            for env in report.environments
        ],
        "findings": [f.to_dict() for f in report.findings],
    }


def write(report: Report, stream: TextIO, options: "ReportOptions") -> None:
    json.dump(to_dict(report), stream, indent=2, sort_keys=False)
    stream.write("\n")
