"""Schemas for every object kind: core Kubernetes from kubernetes-validate's bundled set, custom resources
from CRD files converted to JSON schema. Compiled validators (jsonschema-rs) are cached per
(apiVersion, kind) for the life of the process.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jsonschema_rs
import yaml

from ..errors import SchemaLoadError, UsageError
from ..inputs.yamlsrc import KubeLoader

CRD_KIND = "CustomResourceDefinition"
_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")


# --- core Kubernetes ---------------------------------------------------------------------------------


def bundled_kubernetes_versions() -> list[str]:
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    versions = {p.name.split("-")[0].lstrip("v") for p in root.iterdir() if p.name.startswith("v")}
    return sorted(versions, key=lambda v: tuple(int(x) for x in v.split(".")))


def resolve_kubernetes_version(wanted: str | None) -> str:
    """'1.32' or 'v1.32.4' -> the bundled '1.32.0'; None -> the newest bundled version."""
    versions = bundled_kubernetes_versions()
    if not wanted:
        return versions[-1]
    major_minor = ".".join(wanted.lstrip("v").split(".")[:2])
    for v in versions:
        if v.startswith(major_minor + "."):
            return v
    raise UsageError(
        f"no bundled schemas for Kubernetes {wanted}",
        hint=f"bundled versions: {', '.join(versions)}",
    )


@lru_cache(maxsize=8)
def _core_dir(version: str, strict: bool) -> Path:
    suffix = "-local-strict" if strict else "-local"
    path = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}{suffix}")
    return Path(str(path))


@lru_cache(maxsize=8)
def _core_definitions(version: str, strict: bool) -> dict[str, Any]:
    with open(_core_dir(version, strict) / "_definitions.json", encoding="utf-8") as fh:
        return json.load(fh)["$defs"]


def core_schema_file(version: str, strict: bool, api_version: str, kind: str) -> Path:
    group, _, ver = api_version.rpartition("/")
    group_part = group.split(".")[0] if group else ""
    name = "-".join(p for p in (kind.lower(), group_part, ver) if p) + ".json"
    return _core_dir(version, strict) / name


def core_schema(version: str, strict: bool, api_version: str, kind: str) -> dict[str, Any] | None:
    """A standalone schema for a core kind: only the definitions it references, inlined under $defs."""
    path = core_schema_file(version, strict, api_version, kind)
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        schema = json.load(fh)
    definitions = _core_definitions(version, strict)
    needed: dict[str, Any] = {}
    todo = [schema]
    while todo:
        node = todo.pop()
        for ref in _refs(node):
            name = _REF.match(ref)
            if name and name.group(1) not in needed:
                needed[name.group(1)] = definitions[name.group(1)]
                todo.append(needed[name.group(1)])
    schema = _rewrite_refs(schema)
    schema["$defs"] = {k: _rewrite_refs(v) for k, v in needed.items()}
    schema.pop("$id", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _refs(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                m = _REF.match(value)
                out[key] = f"#/$defs/{m.group(1)}" if m else value
            else:
                out[key] = _rewrite_refs(value)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


# --- CRDs --------------------------------------------------------------------------------------------


def crd_to_schemas(crd: dict[str, Any], *, strict: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
    """Every served version of a CRD as {(apiVersion, kind): JSON schema}."""
    spec = crd.get("spec") or {}
    group = spec.get("group", "")
    kind = (spec.get("names") or {}).get("kind", "")
    out = {}
    for version in spec.get("versions") or []:
        if not version.get("served", True):
            continue
        openapi = ((version.get("schema") or {}).get("openAPIV3Schema")) or spec.get("validation", {}).get(
            "openAPIV3Schema"
        )
        if not openapi:
            openapi = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        schema = convert_openapi(openapi, strict=strict)
        props = schema.setdefault("properties", {})
        props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        props["kind"] = {"type": "string", "enum": [kind]}
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[(f"{group}/{version['name']}", kind)] = schema
    return out


def convert_openapi(node: Any, *, strict: bool = False) -> Any:
    """OpenAPI v3 structural schema -> JSON schema (int-or-string, nullable, preserve-unknown-fields)."""
    if isinstance(node, list):
        return [convert_openapi(v, strict=strict) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: convert_openapi(v, strict=strict) for k, v in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = convert_openapi(value, strict=strict) if not isinstance(value, bool) else value
        elif key.startswith("x-kubernetes-") or key in ("nullable", "format", "example", "externalDocs"):
            continue
        else:
            out[key] = copy.deepcopy(value)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = types + ["null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
    if (
        strict
        and "properties" in out
        and "additionalProperties" not in out
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def load_crd_documents(path: Path) -> Iterable[tuple[Path, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8")
        docs = list(yaml.load_all(text, Loader=KubeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SchemaLoadError(f"cannot read CRD file: {exc}", path=path) from None
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List":
            docs.extend(doc.get("items") or [])
            continue
        if isinstance(doc, dict) and doc.get("kind") == CRD_KIND:
            yield path, doc


_crd_file_cache: dict[tuple[str, int, int, bool], dict[tuple[str, str], dict[str, Any]]] = {}


def crd_file_schemas(path: Path, strict: bool) -> dict[tuple[str, str], dict[str, Any]]:
    """All schemas of one CRD file, converted once per process (environments share most CRD files)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, strict)
    if key not in _crd_file_cache:
        schemas: dict[tuple[str, str], dict[str, Any]] = {}
        for _, crd in load_crd_documents(path):
            schemas.update(crd_to_schemas(crd, strict=strict))
        _crd_file_cache[key] = schemas
    return _crd_file_cache[key]


# --- where CRDs come from ----------------------------------------------------------------------------


@dataclass
class CrdLibrary:
    """CRD files from folders laid out like ``../shared/crds`` or the repo's ``schemas/``:
    ``kserve/<version>/`` holds one KServe release; ``kserve/*.yaml`` is KServe's main branch; every
    other folder is used whole."""

    roots: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def crd_files(self, kserve_version: str | None) -> list[Path]:
        out: list[Path] = list(self.files)
        for root in self.roots:
            if root.is_file():
                out.append(root)
                continue
            for path in sorted(root.rglob("*.y*ml")):
                rel = path.relative_to(root).parts
                if rel[0] == "kserve":
                    if not _kserve_file_wanted(rel, kserve_version, root):
                        continue
                out.append(path)
        return out


def _kserve_file_wanted(rel: tuple[str, ...], kserve_version: str | None, root: Path) -> bool:
    versioned = [p.name for p in (root / "kserve").iterdir() if p.is_dir() and p.name.startswith("v")]
    if len(rel) == 2:  # kserve/<file>: the main branch
        return kserve_version in (None, "main") or kserve_version not in versioned
    if len(rel) == 3 and rel[1].startswith("v"):
        return rel[1] == kserve_version
    return False  # install/, runtimes/: not CRDs


# --- the registry validators come from ---------------------------------------------------------------


class SchemaSet:
    """Compiled validators for one (Kubernetes version, KServe version, strictness)."""

    def __init__(
        self,
        *,
        kubernetes_version: str | None,
        crd_files: Iterable[Path] = (),
        strict: bool = False,
    ) -> None:
        self.kubernetes_version = resolve_kubernetes_version(kubernetes_version)
        self.strict = strict
        self._crd_schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self._crd_origin: dict[tuple[str, str], Path] = {}
        self._validators: dict[tuple[str, str], Any] = {}
        for path in crd_files:
            for key, schema in crd_file_schemas(Path(path), strict).items():
                self._crd_schemas[key] = schema
                self._crd_origin[key] = Path(path)

    def has_crd(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._crd_schemas

    def schema_for(self, api_version: str, kind: str) -> dict[str, Any] | None:
        key = (api_version, kind)
        if key in self._crd_schemas:
            return self._crd_schemas[key]
        return core_schema(self.kubernetes_version, self.strict, api_version, kind)

    def validator_for(self, api_version: str, kind: str) -> Any | None:
        key = (api_version, kind)
        if key not in self._validators:
            schema = self.schema_for(api_version, kind)
            if schema is None:
                self._validators[key] = None
            else:
                try:
                    self._validators[key] = jsonschema_rs.validator_for(schema, validate_formats=False)
                except Exception as exc:  # a broken schema must stop the run, not pass objects
                    raise SchemaLoadError(
                        f"schema for {kind} ({api_version}) does not compile: {exc}",
                        path=self._crd_origin.get(key),
                    ) from None
        return self._validators[key]
