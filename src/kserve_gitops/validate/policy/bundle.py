"""Loading Rego policies: files, packages, rules and their METADATA annotations.

Every engine loads the same ``PolicyBundle``. Rule discovery reads the parsed module (regorus' AST, the same
parser for every engine) so a rule written over several lines, or not at column 0, is still found; a module
that does not parse is a ``PolicyError`` naming the file and line. The bundle also generates the *driver*
module, the one query each engine evaluates per object: it gathers every ``deny``/``violation``/``warn``
rule of the selected packages, so engines never walk packages one by one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import regorus
import yaml

from ...cachedir import JsonStore
from ...errors import PolicyError
from ...inputs.paths import display_path

if TYPE_CHECKING:
    from .facts import RuleGraph

# conftest's rule names: deny, violation, warn, optionally followed by _suffix (deny_no_latest).
FAILURE_PREFIXES = ("deny", "violation")
WARNING_PREFIXES = ("warn",)
CONFTEST_RULE = re.compile(r"^(deny|violation|warn)(_[A-Za-z0-9_]+)?$")
TEST_RULE = re.compile(r"^test_[A-Za-z0-9_]*$")
DRIVER_PACKAGE = "kserve_gitops_driver"
EXCEPTIONS_FILE = "exceptions.yaml"
# The built-in library, shipped in the package and versioned with the tool.
LIBRARY_DIR = Path(__file__).resolve().parents[2] / "policy_library"
BUILTIN = "builtin"

# "--> policies/x.rego:12:5" in regorus messages
_REGORUS_LOCATION = re.compile(r"-->\s*(?P<file>[^\n]+?):(?P<line>\d+):(?P<col>\d+)")


@dataclass(frozen=True)
class RuleInfo:
    """One rule head: ``deny``/``warn``/``violation``/``test_*`` and what its METADATA says."""

    package: str
    name: str
    path: str
    line: int
    id: str = ""
    severity: str = ""
    title: str = ""
    description: str = ""

    @property
    def is_conftest_rule(self) -> bool:
        return bool(CONFTEST_RULE.match(self.name))

    @property
    def is_test(self) -> bool:
        return bool(TEST_RULE.match(self.name))

    @property
    def default_severity(self) -> str:
        return "warning" if self.name.startswith(WARNING_PREFIXES) else "error"

    @property
    def ref(self) -> str:
        return f"data.{self.package}.{self.name}"


@dataclass
class PolicyModule:
    path: str
    text: str
    package: str
    rules: list[RuleInfo] = field(default_factory=list)
    # METADATA "scope: package" custom.kinds: the only kinds this module's rules can fire for
    kinds: frozenset[str] | None = None
    nodes: list[Any] = field(default_factory=list, repr=False, compare=False)  # what each rule reads (facts.py)
    source: str = ""  # "builtin" for the shipped library, else empty (the module's path says where it is)

    @property
    def is_builtin(self) -> bool:
        return self.source == BUILTIN

    @property
    def origin(self) -> str:
        """Where the module comes from, as ``policy list`` shows it: ``builtin`` or its path."""
        return BUILTIN if self.is_builtin else self.path

    @property
    def is_test_file(self) -> bool:
        return self.path.endswith("_test.rego")


@dataclass
class PolicyBundle:
    """Every ``.rego`` file under the policy folders, parsed once."""

    modules: list[PolicyModule]
    roots: list[Path] = field(default_factory=list)  # the repo's folders (waivers are read there)
    # built-in packages the repo turned off (their rules are not run unless named with --namespace)
    disabled: list[str] = field(default_factory=list)
    disabled_at: dict[str, tuple[str, int, int]] = field(default_factory=dict)  # package -> (file, line, column)
    # built-in packages replaced by a repo module of the same package
    overridden: list[str] = field(default_factory=list)
    _graph: Any = field(default=None, repr=False, compare=False)

    def rule_graph(self) -> "RuleGraph":
        """Which rule reads which (``facts.py``), analysed once per bundle, not once per engine or environment."""
        if self._graph is None:
            from .facts import RuleGraph

            self._graph = RuleGraph((m.path, m.nodes) for m in self.modules)
        return self._graph

    @property
    def packages(self) -> list[str]:
        return sorted({m.package for m in self.modules})

    def rule_packages(self) -> list[str]:
        """Packages that define deny/violation/warn rules: the default --namespace set (conftest --all-namespaces)."""
        off = set(self.disabled)
        return sorted({r.package for m in self.modules for r in m.rules if r.is_conftest_rule and r.package not in off})

    def source_of(self, rule: RuleInfo) -> str:
        """``builtin`` for a rule of the shipped library, else the repo file that defines it."""
        for module in self.modules:
            if module.path == rule.path:
                return module.origin
        return rule.path

    def select(self, namespaces: Iterable[str] | None) -> list[str]:
        wanted = list(namespaces or [])
        if not wanted:
            return self.rule_packages()
        known = set(self.packages)
        missing = [ns for ns in wanted if ns not in known]
        if missing:
            raise PolicyError(
                f"no policy package {', '.join(missing)} (packages: {', '.join(self.packages) or 'none'})",
                hint="--namespace takes a Rego package name such as kserve.images",
            )
        return wanted

    def conftest_rules(self, namespaces: Iterable[str]) -> list[RuleInfo]:
        selected = set(namespaces)
        seen: dict[tuple[str, str], RuleInfo] = {}
        for module in self.modules:
            for rule in module.rules:
                if rule.package in selected and rule.is_conftest_rule:
                    seen.setdefault((rule.package, rule.name), rule)
        return [seen[k] for k in sorted(seen)]

    def tests(self) -> list[RuleInfo]:
        seen: dict[tuple[str, str], RuleInfo] = {}
        for module in self.modules:
            if not module.is_test_file:
                continue
            for rule in module.rules:
                if rule.is_test:
                    seen.setdefault((rule.package, rule.name), rule)
        return sorted(seen.values(), key=lambda r: (r.path, r.line))

    def documented_rules(self) -> list[RuleInfo]:
        """What ``policy list`` shows: rules with a METADATA id, else each conftest rule by package.name."""
        out: dict[str, RuleInfo] = {}
        with_ids = {(r.package, r.name) for m in self.modules for r in m.rules if r.id}
        for module in self.modules:
            if module.is_test_file:
                continue
            for rule in module.rules:
                if not rule.is_conftest_rule or (not rule.id and (rule.package, rule.name) in with_ids):
                    continue  # further bodies of a documented rule
                key = rule.id or f"{rule.package}.{rule.name}"
                out.setdefault(key, rule)
        return [out[k] for k in sorted(out)]

    def package_kinds(self, package: str) -> frozenset[str] | None:
        """The kinds a package's rules apply to, when every module of it that has rules declares them."""
        kinds: set[str] = set()
        for module in self.modules:
            if module.package != package or not any(r.is_conftest_rule for r in module.rules):
                continue
            if module.kinds is None:
                return None
            kinds |= module.kinds
        return frozenset(kinds)

    def kind_routes(self, namespaces: Iterable[str]) -> tuple[dict[str, tuple[RuleInfo, ...]], tuple[RuleInfo, ...]]:
        """The rules that apply to each kind some package declares, and the rules for every other kind.

        The same selection the driver's kind guards make, decided before evaluating: an engine can skip an
        object no rule applies to, or evaluate only the rules of its kind.
        """
        rules = self.conftest_rules(namespaces)
        kinds_of = {r.package: self.package_kinds(r.package) for r in rules}
        declared = sorted({k for kinds in kinds_of.values() if kinds for k in kinds})
        routes = {kind: tuple(r for r in rules if kinds_of[r.package] is None or kind in kinds_of[r.package]) for kind in declared}
        return routes, tuple(r for r in rules if kinds_of[r.package] is None)

    def driver_source(self, namespaces: Iterable[str], *, kind_guards: bool = True) -> str:
        """The module every engine evaluates: one set of {ns, rule, value} for the current input.

        With ``kind_guards``, a package that declares its kinds (package METADATA ``custom.kinds``) is
        only evaluated for objects of those kinds: most rendered objects then skip most packages.
        """
        lines = [f"package {DRIVER_PACKAGE}", "", "import rego.v1", ""]
        rules = self.conftest_rules(namespaces)
        if not rules:
            lines.append("findings := set()")
        for rule in rules:
            kinds = self.package_kinds(rule.package) if kind_guards else None
            guard = f"\tinput.kind in {json.dumps(sorted(kinds)).replace('[', '{').replace(']', '}')}\n" if kinds else ""
            if kinds is not None and not kinds:
                continue
            lines.append(
                f"findings contains {{\"ns\": {json.dumps(rule.package)}, \"rule\": {json.dumps(rule.name)}, \"value\": v}} if {{\n"
                f"{guard}\tsome v in {rule_ref(rule)}\n}}"
            )
        if len(lines) == 4:
            lines.append("findings := set()")
        # OPA's batch entry point: one HTTP round trip evaluates a list of objects.
        lines += ["", "batch := [f | some obj in input.objects; f := findings with input as obj]", ""]
        return "\n".join(lines)


def routed_driver_source(groups: list[tuple[RuleInfo, ...]]) -> str:
    """A driver with one entry per group of rules, ``findings_<i>``, without kind guards (routing chose the group)."""
    lines = [f"package {DRIVER_PACKAGE}", "", "import rego.v1", ""]
    for index, group in enumerate(groups):
        if not group:
            lines.append(f"findings_{index} := set()")
        for rule in group:
            lines.append(
                f"findings_{index} contains {{\"ns\": {json.dumps(rule.package)}, \"rule\": {json.dumps(rule.name)}, \"value\": v}} if {{\n"
                f"\tsome v in {rule_ref(rule)}\n}}"
            )
    return "\n".join(lines) + "\n"


def rule_ref(rule: RuleInfo) -> str:
    parts = "".join(f"[{json.dumps(p)}]" for p in rule.package.split("."))
    return f"data{parts}.{rule.name}"


def policy_files(roots: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
            continue
        if not root.is_dir():
            raise PolicyError("policy folder does not exist", path=root, hint="pass an existing folder with --policy DIR")
        files.extend(sorted(p for p in root.rglob("*.rego") if p.is_file()))
    return files


def load_bundle(roots: Iterable[Path]) -> PolicyBundle:
    """Exactly the ``.rego`` files under ``roots`` (no built-in library): what ``load_policies`` builds on."""
    roots = [Path(r) for r in roots]
    modules = [parse_module(display_path(p), p.read_text(encoding="utf-8")) for p in policy_files(roots)]
    packages_by_file = {m.path for m in modules}
    if not packages_by_file:
        where = ", ".join(str(r) for r in roots) or "(none)"
        raise PolicyError(f"no .rego policies found in {where}", hint="pass a folder of Rego policies with --policy DIR")
    return PolicyBundle(modules=modules, roots=roots)


LIBRARY_CONFIG = "library.yaml"  # in a repo's policy folder: which built-in packages it turns off


def library_files() -> list[Path]:
    """The built-in library's ``.rego`` files (shipped as package data)."""
    return sorted(p for p in LIBRARY_DIR.glob("*.rego") if p.is_file())


def library_config_files(roots: Iterable[Path]) -> list[Path]:
    return [Path(r) / LIBRARY_CONFIG for r in roots if Path(r).is_dir() and (Path(r) / LIBRARY_CONFIG).is_file()]


def load_policies(roots: Iterable[Path], *, builtin: bool = True) -> PolicyBundle:
    """The built-in library plus the repo's policy folders ``roots``, as ``validate`` and ``policy`` run them.

    - a repo module adds rules (any package the library does not define);
    - a repo module in a package the library defines replaces that package: the library's modules of the
      package, and its tests (``<package>_test``), are not loaded;
    - ``library.yaml`` in a repo folder turns library packages off: ``disable: [kserve.canary]``. Their
      modules stay loaded (other packages may import them) but their rules are not run, and the report
      says so.
    """
    roots = [Path(r) for r in roots]
    repo_modules = [parse_module(display_path(p), p.read_text(encoding="utf-8")) for p in policy_files(roots)]
    if not builtin:
        if not repo_modules:
            raise PolicyError(
                f"no .rego policies found in {', '.join(str(r) for r in roots) or '(none)'}",
                hint="pass a folder of Rego policies with --policy DIR",
            )
        return PolicyBundle(modules=repo_modules, roots=roots)
    library = [
        dataclasses.replace(parse_module(display_path(p), p.read_text(encoding="utf-8")), source=BUILTIN) for p in library_files()
    ]
    library_packages = {m.package for m in library}
    repo_packages = {m.package for m in repo_modules}
    overridden = sorted(library_packages & repo_packages)
    replaced = set(overridden) | {f"{pkg}_test" for pkg in overridden}
    modules = [m for m in library if m.package not in replaced] + repo_modules
    bundle = PolicyBundle(modules=modules, roots=roots, overridden=overridden)
    bundle.disabled_at = _disabled_packages(roots, bundle)
    bundle.disabled = sorted(bundle.disabled_at)
    return bundle


def _disabled_packages(roots: list[Path], bundle: PolicyBundle) -> dict[str, tuple[str, int, int]]:
    from ...errors import InputError
    from ...inputs.yamlsrc import load_documents, positions_for

    disabled: dict[str, tuple[str, int, int]] = {}
    rule_packages = set(bundle.rule_packages())
    for path in library_config_files(roots):
        name = display_path(path)
        text = path.read_text(encoding="utf-8")
        docs = load_documents(name, text=text)
        data = docs[0].data if docs else {}
        positions = positions_for(name, text)  # not the path-keyed cache: the same relative path in another repo
        if not isinstance(data, dict):
            raise InputError("expected a mapping, e.g. 'disable: [kserve.canary]'", path=name, line=1)
        unknown = sorted(set(data) - {"disable"})
        if unknown:
            line, col, _ = positions.locate(0, [unknown[0]])
            raise InputError(f"unknown key(s): {', '.join(unknown)} (known: disable)", path=name, line=line, column=col)
        items = data.get("disable") or []
        if not isinstance(items, list):
            line, col, _ = positions.locate(0, ["disable"])
            raise InputError("'disable' is a list of Rego package names", path=name, line=line, column=col, field="disable")
        for i, item in enumerate(items):
            line, col, _ = positions.locate(0, ["disable", i])
            if not isinstance(item, str) or item not in rule_packages:
                raise InputError(
                    f"no policy package {item!r} to disable (packages with rules: {', '.join(sorted(rule_packages))})",
                    path=name,
                    line=line,
                    column=col,
                    field=f"disable[{i}]",
                    hint="name a package as 'kserve-gitops policy list' shows it, e.g. kserve.canary",
                )
            disabled.setdefault(item, (name, line or 1, col or 1))
    return disabled


def parse_module(path: str, text: str) -> PolicyModule:
    """A module's package, rules, kinds and rule graph nodes; from the analysis cache when this text was seen.

    Parsing (regorus' AST as JSON) is most of the cost of loading a bundle, so the result is cached on disk
    by the file's path, content and the parser's version, as converted CRD schemas are.
    """
    from .facts import node_from_json

    cache = _analysis_key(path, text)
    cached = _read_analysis(cache)
    if cached is not None:
        try:
            return PolicyModule(
                path=path,
                text=text,
                package=cached["package"],
                rules=[RuleInfo(**r) for r in cached["rules"]],
                kinds=frozenset(cached["kinds"]) if cached["kinds"] is not None else None,
                nodes=[node_from_json(n) for n in cached["nodes"]],
            )
        except (KeyError, TypeError):
            pass  # an unreadable entry is analysed again: a cache never decides a verdict
    module = _analyse(path, text)
    _write_analysis(cache, module)
    return module


def _analyse(path: str, text: str) -> PolicyModule:
    from .facts import analyse_module, parse_ast

    try:
        ast = parse_ast(path, text)
    except RuntimeError as exc:
        raise policy_error_from_regorus(exc, default_path=path) from None
    package = _ref_text(ast["package"]["refr"])
    annotations = _metadata_blocks(text)
    rules: list[RuleInfo] = []
    for item in ast.get("rules", []):
        spec = item.get("Spec")
        if not spec:
            continue
        head = next(iter(spec["head"].values()))
        name = _ref_text(head["refr"]).split(".")[0]
        line = head["span"]["line"]
        meta = annotations.get(line, {})
        custom = meta.get("custom") or {}
        rules.append(
            RuleInfo(
                package=package,
                name=name,
                path=path,
                line=line,
                id=str(custom.get("id") or ""),
                severity=str(custom.get("severity") or ""),
                title=str(meta.get("title") or ""),
                description=str(meta.get("description") or "").strip(),
            )
        )
    package_meta = annotations.get(ast["package"]["span"]["line"], {})
    kinds = None
    if package_meta.get("scope") == "package":
        declared = (package_meta.get("custom") or {}).get("kinds")
        if isinstance(declared, list) and all(isinstance(k, str) for k in declared):
            kinds = frozenset(declared)
    nodes = analyse_module(path, text, ast)
    return PolicyModule(path=path, text=text, package=package, rules=rules, kinds=kinds, nodes=nodes)


ANALYSIS_VERSION = 1  # bump when what parse_module records changes
ANALYSIS_STORE = JsonStore("policy-analysis", ANALYSIS_VERSION)


def _analysis_key(path: str, text: str) -> str:
    """The analysis's key: the module's path and text, and the engine that parsed it."""
    return hashlib.sha256(json.dumps([_regorus_version(), path, text]).encode("utf-8")).hexdigest()


def _regorus_version() -> str:
    import importlib.metadata  # only to read a version: it imports email and zipfile

    try:
        return importlib.metadata.version("gordon-to-regorus")
    except importlib.metadata.PackageNotFoundError:
        return getattr(regorus, "__version__", "unknown")


def _read_analysis(key: str) -> dict[str, Any] | None:
    data = ANALYSIS_STORE.get(key)
    return data if isinstance(data, dict) else None


def _write_analysis(key: str, module: PolicyModule) -> None:
    from .facts import node_to_json

    data = {
        "package": module.package,
        "rules": [dataclasses.asdict(r) for r in module.rules],
        "kinds": sorted(module.kinds) if module.kinds is not None else None,
        "nodes": [node_to_json(n) for n in module.nodes],
    }
    ANALYSIS_STORE.put(key, data)


def _ref_text(node: dict[str, Any]) -> str:
    kind, body = next(iter(node.items()))
    if kind == "Var":
        return body["value"]
    if kind == "RefDot":
        return f"{_ref_text(body['refr'])}.{body['field'][1]}"
    if kind == "RefBrack":
        index = body.get("index", {})
        inner = next(iter(index.values())) if index else {}
        return f"{_ref_text(body['refr'])}.{inner.get('value', '')}"
    return kind


def _metadata_blocks(text: str) -> dict[int, dict[str, Any]]:
    """``# METADATA`` comment blocks (OPA's annotation syntax), keyed by the line of the rule they precede."""
    lines = text.splitlines()
    out: dict[int, dict[str, Any]] = {}
    i = 0
    while i < len(lines):
        if lines[i].strip() == "# METADATA":
            body = []
            j = i + 1
            while j < len(lines) and lines[j].lstrip().startswith("#"):
                body.append(re.sub(r"^\s*# ?", "", lines[j]))
                j += 1
            try:
                meta = yaml.safe_load("\n".join(body)) or {}
            except yaml.YAMLError as exc:
                raise PolicyError(f"METADATA block is not valid YAML: {exc}", path=None, line=i + 1) from None
            if isinstance(meta, dict):
                out[j + 1] = meta
            i = j
        else:
            i += 1
    return out


def policy_error_from_regorus(exc: BaseException, *, default_path: str | None = None, context: str = "") -> PolicyError:
    """regorus errors read '--> file:line:col ... error: message'; keep the place and the message."""
    text = str(exc).split("Stack backtrace:")[0].strip()
    match = _REGORUS_LOCATION.search(text)
    message_lines = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("error:")]
    message = message_lines[0][len("error:") :].strip() if message_lines else (text.splitlines()[-1] if text else repr(exc))
    if context:
        message = f"{message} ({context})"
    if match:
        return PolicyError(message, path=match["file"], line=int(match["line"]), column=int(match["col"]))
    return PolicyError(message, path=default_path)

