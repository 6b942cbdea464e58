"""Schemas for every object kind: core Kubernetes from kubernetes-validate's bundled set, custom resources
from CRD files converted to JSON schema. Compiled validators (jsonschema-rs) are cached per
(schema source, apiVersion, kind) for the life of the process, and converted CRD schemas are cached on
disk keyed by the CRD file's content hash, so a run does not re-parse big CRD YAML files.

Only the lookup lives here; ``schemas import``/``fetch``, which write the repo's ``schemas/``, are in
operate/schemas_import.py, so validate never loads them.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..cachedir import JsonStore
from ..errors import SchemaLoadError, UsageError
from ..inputs.yamlsrc import KubeLoader
from ..render.stream import list_items

CRD_KIND = "CustomResourceDefinition"
_REF = re.compile(r"^(?:/api/_definitions\.json)?#/\$defs/(.+)$")


# --- core Kubernetes ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _bundled_schemas() -> Path:
    """kubernetes-validate's schema folder. Found from the package's location, without importing it: the
    package itself (its validators and their dependencies) costs 0.14 s that validate never uses."""
    import importlib.util

    spec = importlib.util.find_spec("kubernetes_validate")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise SchemaLoadError("kubernetes-validate is not installed: its bundled core schemas are needed", hint="pip install kubernetes-validate")
    return Path(locations[0]) / "kubernetes-json-schema"


def bundled_kubernetes_versions() -> list[str]:
    root = _bundled_schemas()
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
    return _bundled_schemas() / f"v{version}{suffix}"


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
    needed = _referenced_definitions(schema, _core_definitions(version, strict))
    schema = _rewrite_refs(schema)
    schema["$defs"] = {k: _rewrite_refs(v) for k, v in needed.items()}
    schema.pop("$id", None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _referenced_definitions(schema: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    """Every definition ``schema`` references, directly or through other definitions."""
    needed: dict[str, Any] = {}
    todo = [schema]
    while todo:
        node = todo.pop()
        for ref in _refs(node):
            name = _REF.match(ref)
            if name and name.group(1) not in needed:
                needed[name.group(1)] = definitions[name.group(1)]
                todo.append(needed[name.group(1)])
    return needed


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


OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
# Bump when the conversion changes, so disk-cached schemas from an older converter are not reused.
CONVERTER_VERSION = 4  # 4: each schema kept as JSON text, decoded on first use
SCHEMA_STORE = JsonStore("crd-schemas", CONVERTER_VERSION)  # converted schemas by CRD file content and mode
CRD_JSON_STORE = JsonStore("crd-json", 1)  # CRD files as JSON, for the admission helper


@lru_cache(maxsize=2)
def object_meta_defs(strict: bool) -> dict[str, Any]:
    """ObjectMeta and what it references, from the newest bundled Kubernetes, as a ``$defs`` block.

    The API server validates every custom resource's metadata as ObjectMeta whatever the CRD says
    (CRDs may only say ``metadata: {type: object}``), so converted schemas check it the same way.
    """
    version = bundled_kubernetes_versions()[-1]
    definitions = _core_definitions(version, strict)
    needed = {OBJECT_META: definitions[OBJECT_META], **_referenced_definitions(definitions[OBJECT_META], definitions)}
    return {k: _rewrite_refs(v) for k, v in needed.items()}


def crd_versions(crd: dict[str, Any]) -> list[dict[str, Any]]:
    """A CRD's versions; apiextensions/v1beta1 CRDs may give one ``spec.version`` and ``spec.validation``."""
    spec = crd.get("spec") or {}
    versions = spec.get("versions")
    if not versions and spec.get("version"):
        versions = [{"name": spec["version"], "served": True}]
    return [v for v in versions or [] if isinstance(v, dict) and v.get("name")]


def crd_to_schemas(crd: dict[str, Any], *, strict: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
    """Every served version of a CRD as {(apiVersion, kind): JSON schema}."""
    spec = crd.get("spec") or {}
    group = spec.get("group", "")
    kind = (spec.get("names") or {}).get("kind", "")
    out = {}
    for version in crd_versions(crd):
        if not version.get("served", True):
            continue
        openapi = ((version.get("schema") or {}).get("openAPIV3Schema")) or (spec.get("validation") or {}).get(
            "openAPIV3Schema"
        )
        if not openapi:
            openapi = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        schema = convert_openapi(openapi, strict=strict)
        props = schema.setdefault("properties", {})
        props["apiVersion"] = {"type": "string", "enum": [f"{group}/{version['name']}"]}
        props["kind"] = {"type": "string", "enum": [kind]}
        props["metadata"] = {"$ref": f"#/$defs/{OBJECT_META}"}
        schema["$defs"] = object_meta_defs(strict)
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


def load_crd_documents(path: Path, *, data: bytes | None = None) -> Iterable[tuple[Path, dict[str, Any]]]:
    try:
        text = (data if data is not None else path.read_bytes()).decode("utf-8")
        docs = list(yaml.load_all(text, Loader=KubeLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SchemaLoadError(f"cannot read CRD file: {exc}", path=path) from None
    for doc in docs:
        for _, item in list_items(doc):
            if isinstance(item, dict) and item.get("kind") == CRD_KIND:
                yield path, item


class CrdFileSchemas(Mapping):
    """The schemas of one CRD file by (apiVersion, kind), each decoded from the disk cache's JSON text when
    first looked up: a run reads every CRD file's entry (the kinds it defines decide which file serves a
    kind) but needs the schemas of the few kinds its objects have, and decoding is what costs."""

    def __init__(self, entries: dict[tuple[str, str], str | dict[str, Any]]) -> None:
        self._entries = entries

    def __getitem__(self, key: tuple[str, str]) -> dict[str, Any]:
        entry = self._entries[key]
        if isinstance(entry, str):
            entry = self._entries[key] = json.loads(entry)
        return entry

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


_crd_file_cache: dict[tuple[str, bool], CrdFileSchemas] = {}


def file_digest(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def crd_file_schemas(path: Path, strict: bool) -> CrdFileSchemas:
    return crd_file_entry(path, strict)[1]


def crd_file_entry(path: Path, strict: bool) -> tuple[str, CrdFileSchemas]:
    """(content hash, schemas) of one CRD file. All schemas of one CRD file, keyed by the file's content hash: converted once per content, kept
    in memory for the process and on disk for later runs (environments share most CRD files)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SchemaLoadError(f"cannot read CRD file: {exc.strerror}", path=path) from None
    digest = file_digest(data)
    key = (digest, strict)
    cached = _crd_file_cache.get(key)
    if cached is not None:
        return digest, cached
    disk = f"{digest}-{'strict' if strict else 'loose'}"
    schemas = _read_disk_cache(disk)
    if schemas is None:
        converted: dict[tuple[str, str], dict[str, Any]] = {}
        for _, crd in load_crd_documents(Path(path), data=data):
            converted.update(crd_to_schemas(crd, strict=strict))
        _write_disk_cache(disk, converted)
        schemas = CrdFileSchemas(dict(converted))
    _crd_file_cache[key] = schemas
    return digest, schemas


def _read_disk_cache(key: str) -> CrdFileSchemas | None:
    entry = SCHEMA_STORE.get(key)
    try:
        schemas: dict[tuple[str, str], str | dict[str, Any]] = {(e["apiVersion"], e["kind"]): e["schema"] for e in entry}
    except (KeyError, TypeError):
        return None  # absent or unreadable: convert again (a cache never decides a verdict)
    if not all(isinstance(text, str) for text in schemas.values()):
        return None
    return CrdFileSchemas(schemas)


def _write_disk_cache(key: str, schemas: dict[tuple[str, str], dict[str, Any]]) -> None:
    # each schema as JSON text inside the entry: reading the entry then costs a scan, not a parse
    SCHEMA_STORE.put(key, [{"apiVersion": a, "kind": k, "schema": json.dumps(s, separators=(",", ":"))} for (a, k), s in sorted(schemas.items())])


def crd_json_copy(path: Path) -> Path:
    """The CRDs of ``path`` as one JSON array, cached by content: the admission helper (Go) reads JSON ~20x
    faster than YAML, and an InferenceService CRD is 1-2 MB. Falls back to ``path`` itself."""
    data = Path(path).read_bytes()
    key = file_digest(data)
    copy = CRD_JSON_STORE.path(key)
    if copy.is_file():
        return copy
    crds = [crd for _, crd in load_crd_documents(Path(path), data=data)]
    return CRD_JSON_STORE.put(key, crds) or Path(path)


# --- where CRDs come from ----------------------------------------------------------------------------


@dataclass
class CrdLibrary:
    """CRD files from folders laid out like ``../shared/crds`` or the repo's ``schemas/``:
    ``kserve/<version>/`` holds one KServe release; ``kserve/*.yaml`` is KServe's main branch; every
    other folder is used whole."""

    roots: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    # KServe's chart folders (``<version>/<chart>/``, as charts.kserve): a release's CRD charts are its CRDs
    # too (kserve-crd, kserve-llmisvc-crd, kserve-localmodel-crd), for kinds the CRD folders lack
    chart_dirs: list[Path] = field(default_factory=list)

    def kserve_versions(self) -> list[str]:
        """The KServe releases some root holds CRDs for (``kserve/<version>/``)."""
        found = {p.name for root in self.roots if (root / "kserve").is_dir() for p in (root / "kserve").iterdir() if p.is_dir() and p.name.startswith("v")}
        found |= {p.name for d in self.chart_dirs if d.is_dir() for p in d.iterdir() if p.is_dir() and p.name.startswith("v")}
        return sorted(found, key=lambda v: tuple(int(x) for x in re.findall(r"\d+", v)))

    def crd_files(self, kserve_version: str | None) -> list[Path]:
        if kserve_version not in (None, "main") and kserve_version not in self.kserve_versions():
            # Never fall back to another release's CRDs: a gate must judge against the release it deploys.
            have = ", ".join(self.kserve_versions()) or "none"
            raise UsageError(
                f"no CRDs of KServe {kserve_version} (CRDs found for: {have})",
                hint=f"kserve-gitops schemas fetch --kserve {kserve_version}, or schemas import --kserve-version {kserve_version} FILE",
            )
        out: list[Path] = list(self.files)
        for root in self.roots:
            if root.is_file():
                out.append(root)
                continue
            for path in sorted([*root.rglob("*.y*ml"), *root.rglob("*.json")]):
                rel = path.relative_to(root).parts
                if rel[0] == "kserve":
                    if not _kserve_file_wanted(rel, kserve_version, root):
                        continue
                out.append(path)
        if kserve_version not in (None, "main"):
            out.extend(chart_crd_files(self.chart_dirs, kserve_version))
        return out


CRD_CHARTS = ("kserve-crd", "kserve-llmisvc-crd", "kserve-localmodel-crd")


def chart_crd_files(chart_dirs: Iterable[Path], kserve_version: str) -> list[Path]:
    """The CRDs a KServe release's CRD charts install, as plain files (templates without Helm directives);
    after the CRD folders, so a kind found there keeps its file."""
    out = []
    for chart_dir in chart_dirs:
        for chart in CRD_CHARTS:
            folder = chart_dir / kserve_version / chart
            # files/ holds the CRDs a template includes whole (e.g. ClusterStorageContainer, rendered only
            # when no other release owns it)
            for path in [*sorted((folder / "templates").glob("*.yaml")), *sorted((folder / "files").glob("*.yaml"))]:
                if b"{{" not in path.read_bytes():
                    out.append(path)
    return out


def _kserve_file_wanted(rel: tuple[str, ...], kserve_version: str | None, root: Path) -> bool:
    if len(rel) == 2:  # kserve/<file>: the main branch (crd_files refuses a release no root has)
        return kserve_version in (None, "main")
    if len(rel) == 3 and rel[1].startswith("v"):
        return rel[1] == kserve_version
    return False  # install/, runtimes/: not CRDs


# --- the registry validators come from ---------------------------------------------------------------


def json_schema_file(path: Path, data: bytes) -> dict[tuple[str, str], dict[str, Any]]:
    """A ready JSON schema file (e.g. from kubeconform's CRD catalog): its (apiVersion, kind) comes from
    ``x-kubernetes-group-version-kind`` or from the ``apiVersion``/``kind`` enums."""
    try:
        schema = json.loads(data)
    except ValueError as exc:
        raise SchemaLoadError(f"not a JSON schema: {exc}", path=path) from None
    if isinstance(schema, dict) and schema.get("kind") == CRD_KIND:
        return crd_to_schemas(schema)
    keys: list[tuple[str, str]] = []
    if isinstance(schema, dict):
        for gvk in schema.get("x-kubernetes-group-version-kind") or []:
            group, version = gvk.get("group", ""), gvk.get("version", "")
            keys.append((f"{group}/{version}" if group else version, gvk.get("kind", "")))
        props = schema.get("properties") or {}
        kinds = (props.get("kind") or {}).get("enum") or []
        api_versions = (props.get("apiVersion") or {}).get("enum") or []
        if not keys and len(kinds) == 1 and len(api_versions) == 1:
            keys.append((api_versions[0], kinds[0]))
    if not keys:
        raise SchemaLoadError(
            "cannot tell which kind this JSON schema is for",
            path=path,
            hint="give it x-kubernetes-group-version-kind, or apiVersion/kind enums, or pass the CRD YAML instead",
        )
    return {key: schema for key in keys}


# Compiled validators shared by every SchemaSet of the process: environments on the same Kubernetes
# version (or the same CRD file content) reuse one compiled validator per (source, apiVersion, kind).
_validators: dict[tuple, Any] = {}
_strict_schemas: dict[tuple[str, str, str], dict[str, Any] | None] = {}


class SchemaSet:
    """Validators for one (Kubernetes version, set of CRD files, strictness)."""

    def __init__(
        self,
        *,
        kubernetes_version: str | None,
        crd_files: Iterable[Path] = (),
        strict: bool = False,
    ) -> None:
        self.kubernetes_version = resolve_kubernetes_version(kubernetes_version)
        self.strict = strict
        self.crd_files = [Path(p) for p in crd_files]
        # (apiVersion, kind) -> the schemas of the file that serves it; a schema is decoded when first used
        self._crd_schemas: dict[tuple[str, str], Mapping[tuple[str, str], dict[str, Any]]] = {}
        self._crd_source: dict[tuple[str, str], tuple[Path, str]] = {}
        # First wins: --schemas, then the repo's schemas/, then the shared folder (default_crd_roots order).
        for path in self.crd_files:
            digest, schemas = _schemas_of_file(path, strict)
            for key in schemas:
                if key in self._crd_schemas:
                    continue
                self._crd_schemas[key] = schemas
                self._crd_source[key] = (path, digest)

    def has_crd(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._crd_schemas

    def crd_origin(self, api_version: str, kind: str) -> Path | None:
        source = self._crd_source.get((api_version, kind))
        return source[0] if source else None

    def crd_keys(self) -> list[tuple[str, str]]:
        return sorted(self._crd_schemas)

    def schema_for(self, api_version: str, kind: str) -> dict[str, Any] | None:
        key = (api_version, kind)
        if key in self._crd_schemas:
            return self._crd_schemas[key][key]
        return _core_schema_cached(self.kubernetes_version, self.strict, api_version, kind)

    def strict_schema_for(self, api_version: str, kind: str) -> dict[str, Any] | None:
        """The strict variant of a CRD schema (for checks that look for fields a version lacks)."""
        source = self._crd_source.get((api_version, kind))
        if source is None:
            return None
        if self.strict:
            return self.schema_for(api_version, kind)
        key = (source[1], api_version, kind)
        if key not in _strict_schemas:
            _strict_schemas[key] = _schemas_of_file(source[0], True)[1].get((api_version, kind))
        return _strict_schemas[key]

    def validator_for(self, api_version: str, kind: str) -> Any | None:
        key = (api_version, kind)
        source = self._crd_source.get(key)
        cache_key = (("crd", source[1]) if source else ("core", self.kubernetes_version), self.strict, api_version, kind)
        if cache_key not in _validators:
            schema = self.schema_for(api_version, kind)
            if schema is None:
                _validators[cache_key] = None
            else:
                import jsonschema_rs  # the engine loads with the first schema compiled, not at start-up

                try:
                    _validators[cache_key] = jsonschema_rs.validator_for(schema, validate_formats=False)
                except Exception as exc:  # a broken schema must stop the run, not pass objects
                    raise SchemaLoadError(
                        f"schema for {kind} ({api_version}) does not compile: {exc}",
                        path=source[0] if source else None,
                    ) from None
        return _validators[cache_key]


@lru_cache(maxsize=512)
def _core_schema_cached(version: str, strict: bool, api_version: str, kind: str) -> dict[str, Any] | None:
    return core_schema(version, strict, api_version, kind)


def _schemas_of_file(path: Path, strict: bool) -> tuple[str, Mapping[tuple[str, str], dict[str, Any]]]:
    """(content hash, schemas by (apiVersion, kind)) of a CRD file or a ready JSON schema file."""
    if path.suffix == ".json":
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SchemaLoadError(f"cannot read schema file: {exc.strerror}", path=path) from None
        return file_digest(data), json_schema_file(path, data)
    return crd_file_entry(path, strict)
