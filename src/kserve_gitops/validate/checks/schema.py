"""The schema check: every object against its kind's schema (core Kubernetes, CRDs of the environment's
versions), with the builtin engine (jsonschema-rs, in process) or kubeconform; duplicate keys under --strict."""

from __future__ import annotations

from typing import Iterable

from ...errors import UsageError
from ...inputs.yamlsrc import format_json_path, positions_for
from ...results import ERROR, WARNING, Finding, LoadedObject, ObjectRef
from ..inputs import STDIN, FileObject, stdin_positions
from .base import CheckContext, finding_for


def schema_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    if ctx.schema_set is None:
        return
    schema_set = ctx.schema_set
    checkable: list[LoadedObject] = []
    for obj in objects:
        data = obj.data
        if not isinstance(data, dict) or not data.get("apiVersion") or not data.get("kind"):
            yield finding_for(obj, [], rule="object-malformed", message="object has no apiVersion or kind", engine="schema")
            continue
        if not isinstance(data["apiVersion"], str) or not isinstance(data["kind"], str):
            yield finding_for(obj, ["kind"], rule="object-malformed", message="apiVersion and kind must be strings", engine="schema")
            continue
        kind = data["kind"]
        if kind in ctx.options.skip_kinds:
            continue
        if schema_set.schema_for(data["apiVersion"], kind) is None:
            yield _missing_schema(obj, ctx)
            continue
        checkable.append(obj)
    if ctx.options.schema_engine == "kubeconform":
        yield from _kubeconform_findings(checkable, ctx)
    elif ctx.options.schema_engine == "builtin":
        for obj in checkable:
            validator = schema_set.validator_for(obj.data["apiVersion"], obj.data["kind"])
            if validator.is_valid(obj.data):  # the fast path: most objects are valid
                continue
            for error in validator.iter_errors(obj.data):
                parts = list(error.instance_path)
                unexpected = getattr(error.kind, "unexpected", None) if type(error.kind).__name__ == "AdditionalProperties" else None
                if unexpected:  # point at each unknown key, not at the object that holds it
                    for key in unexpected:
                        yield finding_for(obj, [*parts, key], rule="schema", message=f"unknown field {key!r} (not in the schema)", engine="schema")
                    continue
                yield finding_for(obj, parts, rule="schema", message=error.message, engine="schema")
    else:
        raise UsageError(f"unknown schema engine {ctx.options.schema_engine!r}", hint="use builtin or kubeconform")
    if ctx.options.strict:
        yield from duplicate_key_findings(objects)


def _missing_schema(obj: LoadedObject, ctx: CheckContext, engine: str = "schema") -> Finding:
    data = obj.data
    return finding_for(
        obj,
        ["kind"],
        rule="schema-missing",
        message=f"no schema for {data['kind']} ({data['apiVersion']})",
        severity=WARNING if ctx.options.ignore_missing_schemas else ERROR,
        engine=engine,
        hint="add its CRD with 'kserve-gitops schemas import', pass --schemas DIR, or --ignore-missing-schemas",
    )


def _kubeconform_findings(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    from ..kubeconform import error_parts, is_missing_schema, run_kubeconform

    if not objects:
        return
    assert ctx.schema_set is not None
    results = run_kubeconform(objects, ctx.schema_set)
    for index, resource in sorted(results.items()):
        obj = objects[index]
        status = resource.get("status")
        if is_missing_schema(resource):
            yield _missing_schema(obj, ctx, engine="kubeconform")
        elif status == "statusInvalid":
            errors = resource.get("validationErrors") or [{"path": "", "msg": resource.get("msg", "invalid")}]
            for error in errors:
                yield finding_for(obj, error_parts(error), rule="schema", message=str(error.get("msg")), engine="kubeconform")
        elif status == "statusError":
            yield finding_for(obj, [], rule="schema", message=str(resource.get("msg")), engine="kubeconform")


def duplicate_key_findings(objects: list[LoadedObject]) -> Iterable[Finding]:
    """--strict: a key twice in one mapping (YAML keeps the last one silently; the API server rejects it)."""
    seen: set[tuple[str, int, int]] = set()
    for obj in objects:
        if isinstance(obj, FileObject) and obj.source is None:
            positions = stdin_positions() if obj.path == STDIN else positions_for(obj.path)
            candidates = [(obj.path, positions, obj.doc_index, obj.prefix)]
        else:
            sources = [s for s in (obj.source, *obj.extra_sources) if s]
            doc = obj.source_doc_index if len(sources) == 1 else 0
            candidates = [(s, positions_for(s), doc, ()) for s in sources]
        for path, positions, doc_index, prefix in candidates:
            if positions is None:
                continue
            wanted = format_json_path(list(prefix))
            for dup_doc, key_path, line, col in positions.duplicate_keys():
                if dup_doc != doc_index or (wanted and not key_path.startswith(wanted + ".")):
                    continue
                if (path, line, col) in seen:
                    continue
                seen.add((path, line, col))
                key_path = key_path[len(wanted) + 1 :] if wanted else key_path
                yield Finding(
                    rule="duplicate-key",
                    message=f"key '{key_path.rsplit('.', 1)[-1]}' appears twice in one mapping; YAML keeps the last one silently",
                    path=path,
                    line=line,
                    column=col,
                    json_path=key_path,
                    object=ObjectRef.of(obj.data),
                    environment=obj.environment or "",
                    engine="schema",
                    hint="remove one of the two keys",
                )
