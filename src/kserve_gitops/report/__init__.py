"""Reporters: one module per ``-o`` format, all writing a ``Report`` to a text stream.

``REPORTERS`` maps the ``-o`` name to a function ``(report, stream, options) -> None``. Reporters never
decide the exit code (``Report.exit_code()`` does) and never touch anything but the stream they are given.
``diff.py`` is apart: it turns ``diff``'s result (``results.DiffResult``) into text, not a ``Report``.
"""

from __future__ import annotations

import importlib
from typing import Callable, Iterator, Mapping, TextIO

from ..results import Report
from .options import ReportOptions


Reporter = Callable[[Report, TextIO, ReportOptions], None]


# -o name -> the module whose ``write`` prints it; a module is imported when its format is asked for
# (the text format's rich, junit's XML and the others are not every run's cost)
_MODULES = {"text": "text", "json": "json_report", "junit": "junit", "sarif": "sarif", "github": "github"}


class _Registry(Mapping[str, Reporter]):
    def __getitem__(self, name: str) -> Reporter:
        if name not in _MODULES:
            raise KeyError(name)
        return importlib.import_module(f"{__name__}.{_MODULES[name]}").write  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


REPORTERS: Mapping[str, Reporter] = _Registry()
