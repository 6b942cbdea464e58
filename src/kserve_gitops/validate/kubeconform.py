"""``--engine kubeconform``: the same schemas, checked by the real (pinned) kubeconform binary.

The schemas the built-in engine uses (core kinds from kubernetes-validate, CRDs converted by us) are
written in kubeconform's schema-location layout, one file per (apiVersion, kind)::

    <dir>/<group>/<kind>_<version>.json       grouped kinds: -schema-location '<dir>/{{ .Group }}/...'
    <dir>/core/<kind>-<version>.json          core kinds:    -schema-location '<dir>/core/{{ .ResourceKind }}{{ .KindSuffix }}.json'

(kubeconform lower-cases the kind; a core kind's KindSuffix is ``-<version>``, a grouped kind's is
``-<group's first label>-<version>``, so a grouped kind never falls through to a core schema.)
Each object is written to its own JSON file, so kubeconform's results (printed in completion order by its
parallel workers) map back to exactly one object; they are turned into the same Finding objects as the
built-in engine's.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Iterable

from ..errors import ToolFailed
from ..inputs.yamlsrc import parse_json_path
from ..results import LoadedObject
from ..tools import find_tool, run_tool
from .schemas import SchemaSet

GROUPED_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
CORE_TEMPLATE = "core/{{ .ResourceKind }}{{ .KindSuffix }}.json"
MISSING = "could not find schema for"


def schema_file_name(api_version: str, kind: str) -> str:
    """Where kubeconform looks for the schema of (apiVersion, kind) under the schema folder."""
    group, _, version = api_version.rpartition("/")
    if group:
        return f"{group}/{kind.lower()}_{version}.json"
    return f"core/{kind.lower()}-{version}.json"


def write_schemas(directory: Path, schema_set: SchemaSet, keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Write the schema of every key that has one; return the keys that have none."""
    missing = []
    for api_version, kind in sorted(set(keys)):
        schema = schema_set.schema_for(api_version, kind)
        if schema is None:
            missing.append((api_version, kind))
            continue
        target = directory / schema_file_name(api_version, kind)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(schema), encoding="utf-8")
    return missing


def run_kubeconform(
    objects: list[LoadedObject], schema_set: SchemaSet, *, ignore_missing_schemas: bool = False
) -> dict[int, dict[str, Any]]:
    """Validate ``objects`` with kubeconform; return its result for each object by index in ``objects``."""
    binary = find_tool("kubeconform")
    assert binary is not None
    with tempfile.TemporaryDirectory(prefix="kserve-gitops-kubeconform-") as tmp:
        root = Path(tmp)
        schemas, inputs = root / "schemas", root / "objects"
        schemas.mkdir()
        inputs.mkdir()
        write_schemas(schemas, schema_set, ((o.data["apiVersion"], o.data["kind"]) for o in objects))
        names = {}
        for i, obj in enumerate(objects):
            name = f"{i:06d}.json"
            (inputs / name).write_text(json.dumps(obj.data), encoding="utf-8")
            names[name] = i
        command = [
            binary,
            "-output", "json",
            "-verbose",
            "-schema-location", f"{schemas}/{GROUPED_TEMPLATE}",
            "-schema-location", f"{schemas}/{CORE_TEMPLATE}",
        ]
        if ignore_missing_schemas:
            command.append("-ignore-missing-schemas")
        command.append(str(inputs))
        proc = run_tool(command, check=False, timeout=600)
        if proc.returncode not in (0, 1):
            raise ToolFailed(
                f"kubeconform failed (exit {proc.returncode})", command=command, stderr=proc.stderr.decode(errors="replace")
            )
        try:
            output = json.loads(proc.stdout or b"{}")
        except ValueError:
            raise ToolFailed("kubeconform printed output that is not JSON", command=command, stderr=proc.stdout.decode(errors="replace")) from None
    results: dict[int, dict[str, Any]] = {}
    for resource in output.get("resources") or []:
        index = names.get(Path(resource.get("filename", "")).name)
        if index is None:
            raise ToolFailed(f"kubeconform reported a file it was not given: {resource.get('filename')}", command=command)
        results[index] = resource
    return results


def error_parts(validation_error: dict[str, Any]) -> list[str | int]:
    """kubeconform's JSON pointer ('/spec/containers/0/image') as a JSON path list."""
    path = validation_error.get("path") or ""
    return parse_json_path(path) if path else []


def is_missing_schema(resource: dict[str, Any]) -> bool:
    return resource.get("status") == "statusError" and MISSING in str(resource.get("msg", ""))
