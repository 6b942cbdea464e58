"""``validate``: render every environment and check each object against its schema.

Checks are pluggable: each is a function ``(objects, context) -> findings`` registered in ``CHECKS``;
the schema check is the first. Nothing here prints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import yaml

from ..errors import RenderError
from ..inputs.config import Environment, PlatformConfig
from ..inputs.models import Model
from ..inputs.yamlsrc import KubeLoader, format_json_path
from ..render.kustomize import find_renderer, render_many
from ..results import ERROR, WARNING, EnvironmentResult, Finding, LoadedObject, ObjectRef, Report
from ..inputs.repo import load_inputs
from .schemas import CrdLibrary, SchemaSet
from .sources import SourceMap, locate

SHARED_CRDS_ENV = "KSERVE_GITOPS_CRDS"


@dataclass
class ValidateOptions:
    environments: list[str] | None = None
    strict: bool = False
    schema_paths: list[Path] = field(default_factory=list)
    ignore_missing_schemas: bool = False
    skip_kinds: frozenset[str] = frozenset()
    kubernetes_version: str | None = None
    kserve_version: str | None = None
    schemas: bool = True
    # schema engine: "builtin" (jsonschema-rs in process) or "kubeconform" (the real binary)
    schema_engine: str = "builtin"
    # policies (issue: Rego policy gate)
    policies: bool = True
    policy_dirs: list[Path] = field(default_factory=list)
    policy_namespaces: list[str] = field(default_factory=list)
    policy_engine: str = "regorus"
    opa_url: str | None = None
    fail_on_warn: bool = False


@dataclass
class CheckContext:
    environment: Environment | None
    options: ValidateOptions
    schema_set: SchemaSet | None
    all_objects: list[LoadedObject]


Check = Callable[[list[LoadedObject], CheckContext], Iterable[Finding]]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


def default_crd_roots(root: Path) -> list[Path]:
    """Where CRDs are found without --schemas: the repo's schemas/ (``schemas import``) and a shared folder."""
    roots = []
    if (root / "schemas").is_dir():
        roots.append(root / "schemas")
    shared = os.environ.get(SHARED_CRDS_ENV)
    candidates = [Path(shared)] if shared else [root.resolve().parent / "shared" / "crds"]
    roots.extend(p for p in candidates if p.is_dir())
    return roots


def parse_rendered(stream: str, *, environment: str | None, path: str) -> list[LoadedObject]:
    try:
        docs = [d for d in yaml.load_all(stream, Loader=KubeLoader)]
    except yaml.YAMLError as exc:
        raise RenderError(f"kustomize printed YAML that does not parse: {exc}", path=path) from None
    objects = []
    for i, doc in enumerate(d for d in docs if d is not None):
        if isinstance(doc, dict) and doc.get("kind") == "List":
            for item in doc.get("items") or []:
                objects.append(LoadedObject(item, path=path, doc_index=i, environment=environment))
            continue
        objects.append(LoadedObject(doc, path=path, doc_index=i, environment=environment))
    return objects


def validate_repo(root: Path, options: ValidateOptions | None = None) -> Report:
    options = options or ValidateOptions()
    config, models = load_inputs(root)
    envs = config.select(options.environments)
    renderer = find_renderer()
    rendered = render_many({env.name: _display(root / "overlays" / env.name) for env in envs}, renderer=renderer)
    sources = SourceMap(root, models)
    library = CrdLibrary(roots=[*options.schema_paths, *default_crd_roots(root)])
    report = Report()
    for env in envs:
        objects = parse_rendered(rendered[env.name], environment=env.name, path=_display(root / "overlays" / env.name))
        for obj in objects:
            sources.attach(obj)
        result = validate_objects(objects, env=env, options=options, library=library)
        result.models = sum(1 for m in models if env.name in m.environments)
        report.environments.append(result)
    return report


def validate_objects(
    objects: list[LoadedObject],
    *,
    env: Environment | None,
    options: ValidateOptions,
    library: CrdLibrary,
    name: str | None = None,
) -> EnvironmentResult:
    kserve_version = options.kserve_version or (env.kserve_version if env else None)
    schema_set = None
    if options.schemas:
        schema_set = SchemaSet(
            kubernetes_version=options.kubernetes_version or (env.kubernetes_version if env else None),
            crd_files=library.crd_files(kserve_version),
            strict=options.strict,
        )
    ctx = CheckContext(environment=env, options=options, schema_set=schema_set, all_objects=objects)
    findings: list[Finding] = []
    for check_fn in CHECKS.values():
        findings.extend(check_fn(objects, ctx))
    return EnvironmentResult(name=name or (env.name if env else "files"), objects=len(objects), findings=findings)


def finding_for(obj: LoadedObject, parts: list, *, rule: str, message: str, severity: str = ERROR, engine: str = "", hint: str = "") -> Finding:
    path, line, col = locate(obj, parts)
    return Finding(
        rule=rule,
        message=message,
        severity=severity,
        path=path,
        line=line,
        column=col,
        json_path=format_json_path(parts),
        object=ObjectRef.of(obj.data),
        environment=obj.environment or "",
        engine=engine,
        hint=hint,
    )


@check("schema")
def schema_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    if ctx.schema_set is None:
        return
    for obj in objects:
        data = obj.data
        if not isinstance(data, dict) or not data.get("apiVersion") or not data.get("kind"):
            yield finding_for(obj, [], rule="object-malformed", message="object has no apiVersion or kind", engine="schema")
            continue
        kind = data["kind"]
        if kind in ctx.options.skip_kinds:
            continue
        validator = ctx.schema_set.validator_for(data["apiVersion"], kind)
        if validator is None:
            yield finding_for(
                obj,
                ["kind"],
                rule="schema-missing",
                message=f"no schema for {kind} ({data['apiVersion']})",
                severity=WARNING if ctx.options.ignore_missing_schemas else ERROR,
                engine="schema",
                hint="add its CRD with 'kserve-gitops schemas import', pass --schemas DIR, or --ignore-missing-schemas",
            )
            continue
        for error in validator.iter_errors(data):
            parts = list(error.instance_path)
            yield finding_for(obj, parts, rule="schema", message=error.message, engine="schema")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def models_by_environment(config: PlatformConfig, models: list[Model]) -> dict[str, list[str]]:
    return {env: [m.name for m in models if env in m.environments] for env in config.promotion_order}
