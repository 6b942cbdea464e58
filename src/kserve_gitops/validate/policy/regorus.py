"""The embedded engine: regorus (Rust Rego interpreter) in process, Rego v1.

Pinned as ``gordon-to-regorus`` (module ``regorus``), a build of a newer upstream than ``celine-regorus``
(upstream 0.9.1); see docs/policies.md. Policies are parsed once into a base engine; each ``set_data``
clones it, so an environment switch never re-parses Rego. Evaluation swaps the input and evaluates one
driver entry. What keeps the per-object cost down:

- routing by kind: each object is evaluated only against the rules of the packages that declare its kind
  (or declare none), through one entry per group of rules; an object no rule applies to is not evaluated;
- only the modules the selected rules can read are loaded (``RuleGraph.modules``): regorus' fixed cost per
  evaluation grows with the rules loaded, and ``_test.rego`` files alone doubled it;
- rules that never read ``input`` (``facts.py``) are evaluated once per environment and handed to every
  object's evaluation with ``with``, so cross-object facts cost once per environment, not per object;
- a large batch is split over the machine's cores in forked processes (``forked.py``).
"""

from __future__ import annotations

import json
import re
import time
from typing import Any, Iterable

import regorus as _regorus

from ...errors import PolicyError
from .bundle import DRIVER_PACKAGE, PolicyBundle, RuleInfo, policy_error_from_regorus, routed_driver_source
from .engine import PolicyEngine, TestOutcome
from .forked import default_workers, map_chunks

DRIVER_FILE = "<kserve-gitops driver>"
FACTS_FILE = "<kserve-gitops environment facts>"
FACTS_PACKAGE = "kserve_gitops_facts"  # data.kserve_gitops_facts: precomputed values; the package: the entry rules
# Passing a value with ``with`` costs well under a microsecond, but a top-level set travels as an array and
# is rebuilt per evaluation (about a microsecond per member). A fact is passed when evaluating it costs more
# than this (beyond an empty query's cost) plus the rebuild: values that are merely a data document, such as
# the inventory itself, cost nothing to evaluate and would only be copied.
PRECOMPUTE_ABOVE_SECONDS = 0.00002
SET_MEMBER_SECONDS = 0.000001
# ... and only when it saves more than passing costs: fetching each value (a query and JSON), and regorus
# preparing the engine again once facts are added. The saving is a fact's cost times the environment's objects.
FACT_OVERHEAD_SECONDS = 0.0003
PREPARE_OVERHEAD_SECONDS = 0.002
# Forking a worker costs a few milliseconds: below this many objects to evaluate, one process is faster.
FORK_MIN_OBJECTS = 64
_PLAIN_REF = re.compile(r"^data(\.[A-Za-z_][A-Za-z0-9_]*)+$")


class RegorusEngine(PolicyEngine):
    name = "regorus"

    def __init__(self, bundle: PolicyBundle, namespaces: Iterable[str] | None = None, *, combine: bool = False) -> None:
        super().__init__(bundle, namespaces, combine=combine)
        rules = bundle.conftest_rules(self.namespaces)
        # --combine: one input that is a list of documents, so no routing by kind
        routes, other = ({}, tuple(rules)) if combine else bundle.kind_routes(self.namespaces)
        self.groups: list[tuple[RuleInfo, ...]] = sorted(set(routes.values()) | {other}, key=lambda g: [r.ref for r in g])
        self._group_of_kind = {kind: self.groups.index(group) for kind, group in routes.items()}
        self._other_group = self.groups.index(other)
        graph = bundle.rule_graph()
        entry_points = [r.ref for r in rules]
        self.loaded_modules = graph.modules(entry_points)
        wanted = set(self.loaded_modules)
        base = _regorus.Engine()
        try:
            for module in bundle.modules:
                if module.path in wanted:
                    base.add_policy(module.path, module.text)
            base.add_policy(DRIVER_FILE, routed_driver_source(self.groups))
        except RuntimeError as exc:
            raise policy_error_from_regorus(exc) from None
        self._base = base
        self._engine = base.clone()
        self._driver_entries = [f"data.{DRIVER_PACKAGE}.findings_{i}" for i in range(len(self.groups))]
        self._entries = list(self._driver_entries)
        self.fact_rules = [f for f in graph.facts(entry_points) if _PLAIN_REF.match(f)]
        self._group_facts = [set(graph.facts([r.ref for r in group])) for group in self.groups]
        self.precomputed: list[str] = []
        self._data_json = "{}"
        self._tests: Any = None
        self.workers = default_workers()  # processes per batch (forked.py)
        # Compile now: regorus reports semantic errors (unsafe vars, unknown functions) when it first evaluates
        # a rule, so every group's rules see the empty input once, whatever kinds the environment has.
        for index, group in enumerate(self.groups):
            if group or index == self._other_group:
                self._eval(self._driver_entries[index], {}, context="compiling policies")

    def set_data(self, data: dict[str, Any]) -> None:
        engine = self._base.clone()
        data_json = json.dumps(data)
        try:
            engine.add_data_json(data_json)
        except RuntimeError as exc:
            raise PolicyError(f"regorus rejected the policy data: {exc}".split("Stack backtrace:")[0]) from None
        self._engine = engine
        self._data_json = data_json  # kept for the test engine, built only if tests run
        self._tests = None
        self._entries = list(self._driver_entries)
        self.precomputed = []
        if self.fact_rules and not self.combine:
            self._precompute_facts(engine, _count_objects(data))
        # regorus prepares every loaded module again after new data or policies (about a millisecond for this
        # library): do it here, as part of loading the environment, rather than in the first object's evaluation
        engine.set_input_json("{}")
        engine.eval_query_as_json("_prepared := true")

    def _precompute_facts(self, engine: Any, objects: int) -> None:
        """Evaluate the input-independent rules once and pass them to every object's evaluation."""
        values: dict[str, Any] = {}
        modifiers: dict[str, str] = {}
        engine.set_input_json("{}")
        # what any query costs here (the first one after new data also pays regorus' preparation)
        baseline = min(_timed(engine, "_fact := true; false") for _ in range(3))
        costs: dict[str, float] = {}
        for rule in self.fact_rules:
            try:
                # time the evaluation alone (no value out): a cheap fact is cheaper to recompute than to pass
                costs[rule] = _timed(engine, f"_fact := {rule}; false") - baseline
            except RuntimeError:
                continue  # it fails where an object needs it, exactly as without precomputing
        worth = [r for r in self.fact_rules if r in costs and costs[r] > PRECOMPUTE_ABOVE_SECONDS and costs[r] * objects > FACT_OVERHEAD_SECONDS]
        if sum(costs[r] * objects for r in worth) < PREPARE_OVERHEAD_SECONDS:
            return  # a small environment: recomputing is cheaper than preparing the engine again
        for index, rule in enumerate(self.fact_rules):
            if rule not in worth:
                continue
            cost = costs[rule]
            try:
                raw = json.loads(engine.eval_query_as_json(f"x := {rule}; top := is_set(x); s := [p | [p, v] := walk(x); count(p) > 0; is_set(v)]"))
            except RuntimeError:
                continue
            results = raw.get("result") or []
            if len(results) != 1:
                continue  # undefined: nothing to pass
            bindings = results[0]["bindings"]
            value, top_set, nested_sets = bindings["x"], bindings["top"], bindings["s"]
            key = f"f{index}"
            if nested_sets:
                continue  # JSON cannot carry them: evaluate per object
            if not top_set:
                modifiers[rule] = f"with {rule} as data.{FACTS_PACKAGE}.{key}"
            elif cost > PRECOMPUTE_ABOVE_SECONDS + SET_MEMBER_SECONDS * len(value):
                # JSON has no sets: a top-level set travels as an array and is rebuilt
                modifiers[rule] = f"with {rule} as {{v | some v in data.{FACTS_PACKAGE}.{key}}}"
            else:
                continue
            values[key] = value
            self.precomputed.append(rule)
        if not modifiers:
            return
        lines = [f"package {FACTS_PACKAGE}", "", "import rego.v1", ""]
        entries = list(self._driver_entries)
        for index, wanted in enumerate(self._group_facts):
            # each group gets only the facts its rules read: every ``with`` costs, used or not
            mods = [modifiers[rule] for rule in self.fact_rules if rule in modifiers and rule in wanted]
            if not mods:
                continue
            lines += [f"findings_{index} := x if {{", f"\tx := {self._driver_entries[index]}"] + [f"\t\t{m}" for m in mods] + ["}", ""]
            entries[index] = f"data.{FACTS_PACKAGE}.findings_{index}"
        try:
            engine.add_data_json(json.dumps({FACTS_PACKAGE: values}))
            engine.add_policy(FACTS_FILE, "\n".join(lines))
        except RuntimeError as exc:
            raise policy_error_from_regorus(exc, context="precomputing environment facts") from None
        self._entries = entries

    def _group(self, obj: Any) -> int:
        if self.combine:
            return self._other_group
        kind = obj.get("kind") if isinstance(obj, dict) else None
        return self._group_of_kind.get(kind, self._other_group) if isinstance(kind, str) else self._other_group

    def _eval(self, entry: str, obj: Any, *, context: str) -> Any:
        return json.loads(self._eval_json(entry, obj, context=context))

    def _eval_json(self, entry: str, obj: Any, *, context: str) -> str:
        try:
            self._engine.set_input_json(json.dumps(obj))
            return self._engine.eval_rule_as_json(entry)
        except RuntimeError as exc:
            raise policy_error_from_regorus(exc, context=context) from None

    def evaluate_raw(self, inputs: list[Any]) -> list[list[dict[str, Any]]]:
        out: list[list[dict[str, Any]]] = [[] for _ in inputs]  # [] where no selected rule applies to the kind
        work = [(i, group) for i, group in enumerate(map(self._group, inputs)) if self.groups[group]]

        def evaluate(chunk: Any) -> list[str]:
            return [self._eval_json(self._entries[group], inputs[i], context=f"evaluating {_describe(inputs[i])}") for i, group in chunk]

        workers = self.workers if len(work) >= FORK_MIN_OBJECTS else 1
        for (i, _), text in zip(work, map_chunks(evaluate, work, workers)):
            out[i] = json.loads(text)
        return out

    def _test_engine(self) -> Any:
        """Every module, the ``_test.rego`` files too, with the current data: what ``policy test`` runs on."""
        if self._tests is None:
            engine = _regorus.Engine()
            try:
                for module in self.bundle.modules:
                    engine.add_policy(module.path, module.text)
                engine.add_data_json(self._data_json)
            except RuntimeError as exc:
                raise policy_error_from_regorus(exc) from None
            self._tests = engine
        return self._tests

    def run_test(self, rule: RuleInfo) -> TestOutcome:
        try:
            engine = self._test_engine()
            engine.set_input_json("{}")
            value = engine.eval_rule(rule.ref)
        except RuntimeError as exc:
            err = policy_error_from_regorus(exc)
            return TestOutcome(rule.package, rule.name, rule.path, rule.line, passed=False, error=str(err))
        return TestOutcome(rule.package, rule.name, rule.path, rule.line, passed=value is True)


def _count_objects(data: dict[str, Any]) -> int:
    """The objects of ``data.inventory``: how many evaluations a precomputed fact would serve."""
    inventory = data.get("inventory") if isinstance(data, dict) else None
    if not isinstance(inventory, dict):
        return 1
    trees = [t for t in (inventory.get("namespace") or {}).values() if isinstance(t, dict)] + [inventory.get("cluster") or {}]
    return max(1, sum(len(names) for tree in trees for kinds in tree.values() if isinstance(kinds, dict) for names in kinds.values() if isinstance(names, dict)))


def _timed(engine: Any, query: str) -> float:
    started = time.perf_counter()
    engine.eval_query_as_json(query)
    return time.perf_counter() - started


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        ns = f"{meta.get('namespace')}/" if meta.get("namespace") else ""
        return f"{obj.get('kind', '?')}/{ns}{meta.get('name', '?')}"
    if isinstance(obj, list):
        return f"a combined input of {len(obj)} documents"
    return "the input"
