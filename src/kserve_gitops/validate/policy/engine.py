"""The engine abstraction: load a bundle once, set data once, evaluate many inputs.

Engines return raw results ``{ns, rule, value}`` from the driver module (see ``bundle.py``);
``normalise`` turns them into ``PolicyResult`` the same way for every engine, so a differential test can
compare engines result for result.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ...errors import PolicyError
from ...results import ERROR, WARNING
from .bundle import PolicyBundle, RuleInfo

# keys of an object result that kserve-gitops reads; the rest is kept as metadata (conftest does the same)
RESULT_KEYS = ("msg", "id", "rule", "severity", "field")


@dataclass(frozen=True)
class PolicyResult:
    """One deny/violation/warn result for one input."""

    namespace: str
    rule_name: str
    rule_id: str
    severity: str
    message: str
    field: tuple[Any, ...] = ()
    metadata: str = "{}"  # canonical JSON so results stay hashable and comparable

    def sort_key(self) -> tuple:
        return (self.namespace, self.rule_id, self.message, json.dumps(self.field, default=str))


@dataclass
class TestOutcome:
    package: str
    name: str
    path: str
    line: int
    passed: bool
    error: str = ""

    @property
    def status(self) -> str:
        return "PASS" if self.passed else ("ERROR" if self.error else "FAIL")


@dataclass
class Evaluation:
    """Results per input, in input order."""

    results: list[list[PolicyResult]] = field(default_factory=list)


class PolicyEngine(ABC):
    """Load policies once; ``set_data`` once per environment; ``evaluate`` a batch of inputs."""

    name = "abstract"

    def __init__(self, bundle: PolicyBundle, namespaces: Iterable[str] | None = None, *, combine: bool = False) -> None:
        self.bundle = bundle
        self.namespaces = bundle.select(namespaces)
        # --combine: the input is a list of documents, so the per-kind guards of the driver do not apply
        self.combine = combine
        self.rules: dict[tuple[str, str], RuleInfo] = {(r.package, r.name): r for r in bundle.conftest_rules(self.namespaces)}

    @abstractmethod
    def set_data(self, data: dict[str, Any]) -> None: ...

    @abstractmethod
    def evaluate_raw(self, inputs: list[Any]) -> list[list[dict[str, Any]]]:
        """The driver's findings set for each input (lists of {ns, rule, value})."""

    @abstractmethod
    def run_test(self, rule: RuleInfo) -> TestOutcome: ...

    def close(self) -> None:
        """Release the engine (stop a server); safe to call twice."""

    def __enter__(self) -> "PolicyEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evaluate(self, inputs: list[Any]) -> list[list[PolicyResult]]:
        return [sorted((self.normalise(raw) for raw in batch), key=PolicyResult.sort_key) for batch in self.evaluate_raw(inputs)]

    def run_tests(self, on_result: Callable[[TestOutcome], None] | None = None) -> list[TestOutcome]:
        outcomes = []
        for rule in self.bundle.tests():
            outcome = self.run_test(rule)
            outcomes.append(outcome)
            if on_result:
                on_result(outcome)
        return outcomes

    def normalise(self, raw: dict[str, Any]) -> PolicyResult:
        ns, name, value = raw["ns"], raw["rule"], raw["value"]
        info = self.rules.get((ns, name))
        severity = (info.default_severity if info else ERROR)
        rule_id = (info.id if info and info.id else f"{ns}.{name}")
        field_path: tuple[Any, ...] = ()
        metadata: dict[str, Any] = {}
        if isinstance(value, str):
            message = value
        elif isinstance(value, dict):
            message = value.get("msg")
            if not isinstance(message, str):
                path, line = (info.path, info.line) if info else (None, None)
                raise PolicyError(
                    f"rule {ns}.{name} returned an object without a string 'msg': {json.dumps(value, sort_keys=True)[:200]}",
                    path=path,
                    line=line,
                    hint="conftest convention: return a string or an object with a 'msg' field",
                )
            rule_id = str(value.get("id") or value.get("rule") or rule_id)
            if value.get("severity") in (ERROR, WARNING):
                severity = value["severity"]
            raw_field = value.get("field")
            if isinstance(raw_field, list):
                field_path = tuple(raw_field)
            metadata = {k: v for k, v in value.items() if k not in RESULT_KEYS}
        else:
            path, line = (info.path, info.line) if info else (None, None)
            raise PolicyError(
                f"rule {ns}.{name} returned {json.dumps(value)[:100]}, not a string or an object with 'msg'",
                path=path,
                line=line,
            )
        return PolicyResult(
            namespace=ns,
            rule_name=name,
            rule_id=rule_id,
            severity=severity,
            message=message,
            field=field_path,
            metadata=json.dumps(metadata, sort_keys=True, default=str),
        )


def rule_location(bundle: PolicyBundle, package: str, name: str) -> tuple[str | None, int | None]:
    for module in bundle.modules:
        for rule in module.rules:
            if rule.package == package and rule.name == name:
                return rule.path, rule.line
    return None, None
