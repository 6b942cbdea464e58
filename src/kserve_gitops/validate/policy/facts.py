"""Environment facts: rules that do not read ``input``, evaluated once per environment instead of per object.

regorus evaluates every object in a fresh evaluation, so a rule over ``data.inventory`` (the GPUs of every
InferenceService, the alert expressions of every PrometheusRule) would be recomputed for every object: in a
1,000-model environment that is quadratic. ``input`` is the only thing that changes between the objects of
an environment, so a rule that provably never reads it (directly or through other rules and functions) has
one value per environment. The analysis here finds those rules from the parsed modules (conservatively: any
doubt makes a rule input-dependent); the regorus engine evaluates them once after ``set_data`` and passes
their values to each object's evaluation with ``with data.<rule> as <value>`` (Rego's own mocking), so the
policies run unchanged and every verdict is the value the rule would have had.

Only the *frontier* is precomputed: input-independent rules read by input-dependent ones. A fact whose
evaluation fails or is undefined is simply not precomputed, so it fails (or is skipped) exactly where it did
before: per object, when an object needs it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

import regorus

# Built-ins whose value may differ between two evaluations: a rule calling one is never a fact.
NONDETERMINISTIC_PREFIXES = ("time.", "rand.", "http.", "uuid.", "opa.", "net.lookup", "crypto.x509.parse_and_verify")


@dataclass
class _RuleNode:
    path: str  # data.pkg.name
    module: str = ""  # the file that defines this body
    is_function: bool = False
    reads_all_data: bool = False  # data itself, or data[x]: may read any rule of any module
    reads_input: bool = False
    unsafe: bool = False  # with modifiers, dynamic data refs, non-deterministic built-ins
    refs: set[str] = field(default_factory=set)  # dotted data.* paths read


def node_to_json(node: _RuleNode) -> dict[str, Any]:
    return {**dataclasses.asdict(node), "refs": sorted(node.refs)}


def node_from_json(data: dict[str, Any]) -> _RuleNode:
    return _RuleNode(**{**data, "refs": set(data["refs"])})


def _text(source: bytes, span: dict[str, Any]) -> str:
    return source[span["start"] : span["end"]].decode("utf-8")


def _chain(node: dict[str, Any]) -> tuple[str | None, list[str], bool]:
    """(head var, constant fields, whether a non-constant index cut the chain) of a Var/RefDot/RefBrack."""
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return body["value"], [], False
    if kind == "RefDot":
        head, fields, cut = _chain(body["refr"])
        return head, (fields if cut else fields + [body["field"][1]]), cut
    if kind == "RefBrack":
        head, fields, cut = _chain(body["refr"])
        index = body.get("index") or {}
        ikind, ibody = next(iter(index.items())) if index else ("", {})
        if not cut and ikind == "String":
            return head, fields + [ibody["value"]], False
        return head, fields, True
    return None, [], True


def _walk(node: Any, visit: Any) -> None:
    """Visit every reference chain once (its longest form), and what its non-constant indexes read."""
    if isinstance(node, dict):
        if len(node) == 1:
            kind = next(iter(node))
            if kind in ("Var", "RefDot", "RefBrack") and isinstance(node[kind], dict):
                visit(node)
                _walk_indexes(node, visit)
                return
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _walk_indexes(node: dict[str, Any], visit: Any) -> None:
    kind, body = next(iter(node.items()))
    if kind == "RefDot":
        _walk_indexes(body["refr"], visit)
    elif kind == "RefBrack":
        _walk(body.get("index"), visit)
        _walk_indexes(body["refr"], visit)
    elif kind != "Var":
        _walk(node, visit)


def parse_ast(path: str, text: str) -> dict[str, Any]:
    engine = regorus.Engine()
    engine.add_policy(path, text)
    return json.loads(engine.get_ast_as_json())[0]["ast"]


def analyse_module(path: str, text: str, ast: dict[str, Any] | None = None) -> list[_RuleNode]:
    """One node per rule definition of a module (several bodies of one rule give several nodes)."""
    ast = ast if ast is not None else parse_ast(path, text)
    source = text.encode("utf-8")
    package_head, package_fields, _ = _chain(ast["package"]["refr"])
    package = ".".join([package_head or ""] + package_fields)
    aliases: dict[str, str] = {}
    for imp in ast.get("imports", []):
        head, fields, cut = _chain(imp["refr"])
        if cut or head not in ("data", "input"):
            continue
        alias = _text(source, imp["as"]) if imp.get("as") else (fields[-1] if fields else head)
        aliases[alias] = ".".join([head, *fields])
    local_rules = set()
    specs = []
    nodes = []
    for item in ast.get("rules", []):
        if "Default" in item:  # a constant: it reads nothing, but it defines the rule
            name_head, _, _ = _chain(item["Default"]["refr"])
            local_rules.add(name_head)
            nodes.append(_RuleNode(path=f"data.{package}.{name_head}", module=path))
            continue
        spec = item.get("Spec")
        if not spec:
            continue
        head_kind, head = next(iter(spec["head"].items()))
        name_head, name_fields, _ = _chain(head["refr"])
        local_rules.add(name_head)
        specs.append((head_kind, name_head, spec))
    for head_kind, name, spec in specs:
        node = _RuleNode(path=f"data.{package}.{name}", module=path, is_function=head_kind == "Func")
        args = set()
        if node.is_function:
            for arg in spec["head"]["Func"].get("args", []):
                _walk(arg, lambda n: args.add(n["Var"]["value"]) if "Var" in n else None)

        def visit(ref: dict[str, Any], node: _RuleNode = node) -> None:
            head, fields, cut = _chain(ref)
            if head is None:
                return
            if head in aliases and head not in args:
                base = aliases[head].split(".")
                head, fields = base[0], base[1:] + fields
            if head == "input":
                node.reads_input = True
            elif head == "data":
                if not fields:
                    node.unsafe = node.reads_all_data = True  # all of data, or data[x]: could be anything
                node.refs.add(".".join(["data", *fields]))
            elif head in local_rules and head not in args:
                node.refs.add(f"data.{package}.{head}")
            elif any(f"{head}.{'.'.join(fields)}".startswith(p) for p in NONDETERMINISTIC_PREFIXES):
                node.unsafe = True

        _walk({k: v for k, v in spec.items() if k != "head"}, visit)
        _walk({k: v for k, v in spec["head"][next(iter(spec["head"]))].items() if k not in ("refr", "args")}, visit)
        if _has_with(spec):
            node.unsafe = True
        nodes.append(node)
    return nodes


def _has_with(node: Any) -> bool:
    if isinstance(node, dict):
        if node.get("with_mods"):
            return True
        return any(_has_with(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_with(v) for v in node)
    return False


def _related(ref: str, rule_path: str) -> bool:
    """A read of ``ref`` may read the rule at ``rule_path`` (the rule itself, a part of it, or its package)."""
    return ref == rule_path or ref.startswith(rule_path + ".") or rule_path.startswith(ref + ".")


@dataclass
class FactPlan:
    """The rules to precompute per environment, in a stable order."""

    facts: list[str]


class RuleGraph:
    """Which rule reads which, over every module of a bundle: the facts to precompute and the modules to load."""

    def __init__(self, modules: Iterable[tuple[str, list[_RuleNode]]]) -> None:
        """``modules``: (path, its nodes from ``analyse_module``)."""
        self.module_paths: list[str] = []
        nodes: list[_RuleNode] = []
        for path, module_nodes in modules:
            self.module_paths.append(path)
            nodes.extend(module_nodes)
        self.by_path: dict[str, list[_RuleNode]] = {}
        for node in nodes:
            self.by_path.setdefault(node.path, []).append(node)
        self.rule_paths = sorted(self.by_path)
        self.deps = {p: self._reads(p) for p in self.rule_paths}
        # dynamic: input-dependent (or unsafe to precompute) until proven otherwise, to a fixed point
        self.dynamic = {p for p, ns in self.by_path.items() if any(n.reads_input or n.unsafe for n in ns)}
        changed = True
        while changed:
            changed = False
            for p in self.rule_paths:
                if p not in self.dynamic and self.deps[p] & self.dynamic:
                    self.dynamic.add(p)
                    changed = True
        self.functions = {p for p, ns in self.by_path.items() if any(n.is_function for n in ns)}

    def _reads(self, path: str) -> set[str]:
        out: set[str] = set()
        for node in self.by_path[path]:
            for ref in node.refs:
                out.update(p for p in self.rule_paths if _related(ref, p))
        return out

    def reachable(self, entry_points: Iterable[str]) -> set[str]:
        """Every rule the entry points can read, directly or through other rules and functions."""
        entry_points = list(entry_points)
        reachable: set[str] = set()
        todo = [p for entry in entry_points for p in self.rule_paths if _related(entry, p)]
        while todo:
            p = todo.pop()
            if p not in reachable:
                reachable.add(p)
                todo.extend(self.deps[p])
        return reachable

    def facts(self, entry_points: list[str]) -> list[str]:
        """Input-independent rules that input-dependent rules (or the entry points) read directly."""
        reachable = self.reachable(entry_points)
        read = {p for p in reachable if _related_any(p, entry_points)}
        for reader in reachable & (self.dynamic | self.functions):
            read |= self.deps[reader]
        return sorted(p for p in read if p not in self.dynamic and p not in self.functions)

    def modules(self, entry_points: list[str]) -> list[str]:
        """The modules that define what the entry points can read (every module when a rule reads all of data).

        An engine that loads only these gives the same values: rules it leaves out are never read. regorus'
        cost per evaluation grows with the rules it has loaded, so the ``_test.rego`` files and packages no
        selected rule reads are left out of ``validate``.
        """
        reachable = self.reachable(entry_points)
        if any(n.reads_all_data for p in reachable for n in self.by_path[p]):
            return list(self.module_paths)
        wanted = {n.module for p in reachable for n in self.by_path[p]}
        return [m for m in self.module_paths if m in wanted]


def plan_facts(modules: Iterable[tuple[str, str]], entry_points: list[str]) -> FactPlan:
    """Input-independent rules that input-dependent rules (or the entry points) read directly."""
    return FactPlan(facts=RuleGraph((path, analyse_module(path, text)) for path, text in modules).facts(entry_points))


def _related_any(path: str, entry_points: Iterable[str]) -> bool:
    return any(_related(entry, path) for entry in entry_points)
