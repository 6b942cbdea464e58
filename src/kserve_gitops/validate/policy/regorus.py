"""The embedded engine: regorus (Rust Rego interpreter) in process, Rego v1.

Pinned as ``gordon-to-regorus`` (module ``regorus``), a build of a newer upstream than ``celine-regorus``
(upstream 0.9.1); see docs/policies.md. Policies are parsed once into a base engine; each ``set_data``
clones it, so an environment switch never re-parses Rego. Evaluation swaps the input and evaluates the
driver rule. Rules that never read ``input`` (``facts.py``) are evaluated once per environment and handed to
every object's evaluation with ``with``, so cross-object facts cost once per environment, not per object.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Iterable

import regorus as _regorus

from ...errors import PolicyError
from .bundle import DRIVER_PACKAGE, PolicyBundle, RuleInfo, policy_error_from_regorus
from .engine import PolicyEngine, TestOutcome
from .facts import plan_facts

DRIVER_FILE = "<kserve-gitops driver>"
FACTS_FILE = "<kserve-gitops environment facts>"
FACTS_PACKAGE = "kserve_gitops_facts"  # data.kserve_gitops_facts: precomputed values; the package: the entry rule
# Passing a value with ``with`` costs about as much as a small rule: only facts slower than this are passed.
PRECOMPUTE_ABOVE_SECONDS = 0.0002
_PLAIN_REF = re.compile(r"^data(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class RegorusEngine(PolicyEngine):
    name = "regorus"

    def __init__(self, bundle: PolicyBundle, namespaces: Iterable[str] | None = None, *, combine: bool = False) -> None:
        super().__init__(bundle, namespaces, combine=combine)
        base = _regorus.Engine()
        try:
            for module in bundle.modules:
                base.add_policy(module.path, module.text)
            base.add_policy(DRIVER_FILE, bundle.driver_source(self.namespaces, kind_guards=not combine))
        except RuntimeError as exc:
            raise policy_error_from_regorus(exc) from None
        self._base = base
        self._engine = base.clone()
        self._entry = f"data.{DRIVER_PACKAGE}.findings"
        entry_points = [rule.ref for rule in self.rules.values()]
        self.fact_rules = [f for f in plan_facts(((m.path, m.text) for m in bundle.modules), entry_points).facts if _PLAIN_REF.match(f)]
        self.precomputed: list[str] = []
        # Compile now: regorus reports semantic errors (unsafe vars, unknown functions) at first evaluation.
        self._eval_driver({}, context="compiling policies")

    def set_data(self, data: dict[str, Any]) -> None:
        engine = self._base.clone()
        try:
            engine.add_data_json(json.dumps(data))
        except RuntimeError as exc:
            raise PolicyError(f"regorus rejected the policy data: {exc}".split("Stack backtrace:")[0]) from None
        self._engine = engine
        self._entry = f"data.{DRIVER_PACKAGE}.findings"
        self.precomputed = []
        if self.fact_rules and not self.combine:
            self._precompute_facts(engine)

    def _precompute_facts(self, engine: Any) -> None:
        """Evaluate the input-independent rules once and pass them to every object's evaluation."""
        values: dict[str, Any] = {}
        modifiers: list[str] = []
        engine.set_input_json("{}")
        for index, rule in enumerate(self.fact_rules):
            try:
                # time the evaluation alone (no value out): a cheap fact is cheaper to recompute than to pass
                started = time.perf_counter()
                engine.eval_query_as_json(f"_fact := {rule}; false")
                if time.perf_counter() - started < PRECOMPUTE_ABOVE_SECONDS:
                    continue
                raw = json.loads(engine.eval_query_as_json(f"x := {rule}; top := is_set(x); s := [p | [p, v] := walk(x); count(p) > 0; is_set(v)]"))
            except RuntimeError:
                continue  # it fails where an object needs it, exactly as without precomputing
            results = raw.get("result") or []
            if len(results) != 1:
                continue  # undefined: nothing to pass
            bindings = results[0]["bindings"]
            value, top_set, nested_sets = bindings["x"], bindings["top"], bindings["s"]
            key = f"f{index}"
            if nested_sets:
                continue  # JSON cannot carry them: evaluate per object
            if not top_set:
                modifiers.append(f"with {rule} as data.{FACTS_PACKAGE}.{key}")
            else:
                # JSON has no sets: a top-level set travels as an array and is rebuilt
                modifiers.append(f"with {rule} as {{v | some v in data.{FACTS_PACKAGE}.{key}}}")
            values[key] = value
            self.precomputed.append(rule)
        if not modifiers:
            return
        source = "\n".join(
            [f"package {FACTS_PACKAGE}", "", "import rego.v1", "", f"findings := x if {{", f"\tx := data.{DRIVER_PACKAGE}.findings"]
            + [f"\t\t{m}" for m in modifiers]
            + ["}", ""]
        )
        try:
            engine.add_data_json(json.dumps({FACTS_PACKAGE: values}))
            engine.add_policy(FACTS_FILE, source)
        except RuntimeError as exc:
            raise policy_error_from_regorus(exc, context="precomputing environment facts") from None
        self._entry = f"data.{FACTS_PACKAGE}.findings"

    def _eval_driver(self, obj: Any, *, context: str) -> list[dict[str, Any]]:
        try:
            self._engine.set_input_json(json.dumps(obj))
            return json.loads(self._engine.eval_rule_as_json(self._entry))
        except RuntimeError as exc:
            raise policy_error_from_regorus(exc, context=context) from None

    def evaluate_raw(self, inputs: list[Any]) -> list[list[dict[str, Any]]]:
        out = []
        for obj in inputs:
            out.append(self._eval_driver(obj, context=f"evaluating {_describe(obj)}"))
        return out

    def run_test(self, rule: RuleInfo) -> TestOutcome:
        try:
            self._engine.set_input_json("{}")
            value = self._engine.eval_rule(rule.ref)
        except RuntimeError as exc:
            err = policy_error_from_regorus(exc)
            return TestOutcome(rule.package, rule.name, rule.path, rule.line, passed=False, error=str(err))
        return TestOutcome(rule.package, rule.name, rule.path, rule.line, passed=value is True)


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        ns = f"{meta.get('namespace')}/" if meta.get("namespace") else ""
        return f"{obj.get('kind', '?')}/{ns}{meta.get('name', '?')}"
    if isinstance(obj, list):
        return f"a combined input of {len(obj)} documents"
    return "the input"
