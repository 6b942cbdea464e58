"""Findings and objects as data: what validators produce and reporters print (and ``diff``'s result,
which operate/diff.py computes and report/diff.py prints).

Nothing here prints or exits; the exit code is a method on ``Report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK

ERROR = "error"
WARNING = "warning"
WAIVED = "waived"
SEVERITIES = (ERROR, WARNING, WAIVED)

# Rule id -> one-line description of the rules found outside validate's checks (validate/checks adds its own
# table to each report it makes).
RULE_DESCRIPTIONS: dict[str, str] = {
    "schema": "The object does not match the JSON schema of its kind (core Kubernetes or CRD).",
    "schema-missing": "No schema is known for the object's apiVersion and kind.",
    "object-malformed": "The document is not a Kubernetes object (no apiVersion or kind).",
    "duplicate-key": "A key appears twice in one YAML mapping (--strict).",
    "input-error": "An input file (kserve-gitops.yaml, a model) cannot be read or is invalid; nothing was validated.",
    "yaml-syntax": "A file given to validate does not parse as YAML or JSON.",
    "policy-disabled": "A built-in policy package the repo turned off in policies/library.yaml (reported, never failing).",
    "policy-input": "An object policies cannot judge because it is not shaped like its kind (its schema refuses it).",
}


@dataclass(frozen=True)
class ObjectRef:
    api_version: str
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind}/{ns}{self.name}"

    @classmethod
    def of(cls, obj: Any) -> "ObjectRef":
        if not isinstance(obj, dict):
            return cls("", "", "")
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        return cls(
            api_version=str(obj.get("apiVersion") or ""),
            kind=str(obj.get("kind") or ""),
            name=str(meta.get("name") or ""),
            namespace=str(meta.get("namespace") or ""),
        )


def shaped_like_an_object(data: Any) -> bool:
    """A mapping whose metadata, spec and status (where present) are mappings: what the API server can
    decode at all. Anything else is refused before any webhook or policy would see it."""
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
        return False
    return all(isinstance(data[key], dict) for key in ("spec", "status") if key in data)


@dataclass
class LoadedObject:
    """One Kubernetes object and where it came from.

    ``path``/``doc_index`` point at the file the object was read from (a rendered overlay is read from
    kustomize's stdout, so ``source`` is filled later with the file under ``models/`` or ``charts/`` the
    object was synthesized from, for findings that users can act on).
    """

    data: Any
    path: str
    doc_index: int = 0
    line: int = 1
    environment: str | None = None
    source: str | None = None
    source_doc_index: int = 0
    extra_sources: tuple[str, ...] = ()

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef.of(self.data)


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    severity: str = ERROR
    path: str = ""
    line: int = 0
    column: int = 0
    json_path: str = ""
    object: ObjectRef = field(default_factory=lambda: ObjectRef("", "", ""))
    environment: str = ""
    engine: str = ""
    hint: str = ""

    def sort_key(self) -> tuple:
        return (
            self.environment,
            self.path,
            self.line,
            self.column,
            self.object.kind,
            self.object.namespace,
            self.object.name,
            self.json_path,
            self.rule,
            self.message,
        )

    def location(self) -> str:
        if not self.path:
            return "<unknown>"
        if self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        return self.path

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "jsonPath": self.json_path,
            "object": {
                "apiVersion": self.object.api_version,
                "kind": self.object.kind,
                "namespace": self.object.namespace,
                "name": self.object.name,
            },
            "environment": self.environment,
            "engine": self.engine,
            "hint": self.hint,
        }


@dataclass
class EnvironmentResult:
    """What validate found for one environment (or one set of input paths)."""

    name: str
    objects: int = 0
    models: int = 0
    findings: list[Finding] = field(default_factory=list)
    checked: list[ObjectRef] = field(default_factory=list)  # every object validated, in input order

    def valid_objects(self) -> list[ObjectRef]:
        """Objects with no error finding (what ``--verbose`` lists, like kubeconform's -verbose)."""
        failing = {f.object for f in self.findings if f.severity == ERROR}
        return [ref for ref in self.checked if ref not in failing]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    def verdict(self, *, fail_on_warn: bool = False) -> str:
        if self.errors or (fail_on_warn and self.warnings):
            return "fail"
        return "pass"


@dataclass
class Report:
    environments: list[EnvironmentResult] = field(default_factory=list)
    fail_on_warn: bool = False
    # the run stopped at input it could not read: its findings are those errors, and the exit code is 2
    input_error: bool = False
    # rule id -> description of every rule the run could report (SARIF rule metadata); validate gives its table
    rules: dict[str, str] = field(default_factory=lambda: dict(RULE_DESCRIPTIONS))

    @property
    def findings(self) -> list[Finding]:
        return sorted((f for env in self.environments for f in env.findings), key=Finding.sort_key)

    def exit_code(self) -> int:
        if self.input_error:
            return EXIT_INPUT
        if any(env.verdict(fail_on_warn=self.fail_on_warn) == "fail" for env in self.environments):
            return EXIT_FINDINGS
        return EXIT_OK


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=Finding.sort_key)


def input_error_report(errors: Iterable[Any]) -> Report:
    """The report of a run that stopped at bad input: one ``input-error`` finding per error."""
    findings = [
        Finding(rule="input-error", message=(f"{e.field}: {e.message}" if e.field else e.message), path=e.path or "", line=e.line or 0, column=e.column or 0, hint=e.hint or "", engine="inputs")
        for e in errors
    ]
    return Report(environments=[EnvironmentResult(name="inputs", findings=sort_findings(findings))], input_error=True)


# --- diff ----------------------------------------------------------------------------------------------

# (API group, kind, namespace, name): an object's identity across API versions (validate.base.object_key)
ObjectKey = tuple[str, str, str, str]


@dataclass
class ObjectChange:
    status: str  # added | removed | changed
    key: ObjectKey
    diff: str = ""

    @property
    def label(self) -> str:
        group, kind, namespace, name = self.key
        return f"{kind}/{namespace + '/' if namespace else ''}{name}"


@dataclass
class EnvironmentDiff:
    name: str
    changes: list[ObjectChange] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    status: str = "changed"  # changed | added | removed (the environment itself)
    # what the environment's admission chain says about the change (validate/admission.py)
    admission: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for c in self.changes if c.status == status)


@dataclass
class DiffResult:
    base_ref: str
    base_commit: str
    environments: list[EnvironmentDiff]
    summary: list[str]

    @property
    def changed(self) -> bool:
        return any(env.changes for env in self.environments)

    @property
    def refused(self) -> bool:
        return any(" refuses " in line for env in self.environments for line in env.admission)
