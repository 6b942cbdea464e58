"""``policy test``: run the ``test_*`` rules of ``*_test.rego`` files, like ``opa test`` and ``conftest verify``.

A test passes when its rule is defined and true; undefined or false is a failure, an evaluation error is
an error (reported with the file and line, never as a pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from . import make_engine
from .bundle import load_policies
from .engine import TestOutcome


@dataclass
class TestReport:
    outcomes: list[TestOutcome] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for o in self.outcomes if o.passed)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if not o.passed and not o.error)

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.error)

    def exit_code(self) -> int:
        return 0 if self.outcomes and self.passed == len(self.outcomes) else 1


def run_policy_tests(
    dirs: Iterable[Path],
    *,
    engine: str = "regorus",
    opa_url: str | None = None,
    on_result: Callable[[TestOutcome], None] | None = None,
    builtin: bool = True,
) -> TestReport:
    """The tests of the built-in library (those of packages the repo replaces excepted) and of ``dirs``."""
    bundle = load_policies(list(dirs), builtin=builtin)
    with make_engine(engine, bundle, opa_url=opa_url) as policy_engine:
        policy_engine.set_data({})
        return TestReport(policy_engine.run_tests(on_result))
