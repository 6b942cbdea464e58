"""Reporters: one module per ``-o`` format, all writing a ``Report`` to a text stream.

``REPORTERS`` maps the ``-o`` name to a function ``(report, stream, options) -> None``. Reporters never
decide the exit code (``Report.exit_code()`` does) and never touch anything but the stream they are given.
``diff.py`` is apart: it turns ``diff``'s result (``results.DiffResult``) into text, not a ``Report``.
"""

from __future__ import annotations

from typing import Callable, TextIO

from ..results import Report
from .options import ReportOptions


Reporter = Callable[[Report, TextIO, ReportOptions], None]


def _registry() -> dict[str, Reporter]:
    from . import github, json_report, junit, sarif, text

    return {
        "text": text.write,
        "json": json_report.write,
        "junit": junit.write,
        "sarif": sarif.write,
        "github": github.write,
    }


REPORTERS: dict[str, Reporter] = _registry()
