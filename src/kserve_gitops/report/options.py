"""How a report is written (the CLI's output flags)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False  # text only, and only when the stream is a terminal
    summary: bool = False  # text: the summary table only, no line per finding
    verbose: bool = False  # text: hints and the engine that found each finding
