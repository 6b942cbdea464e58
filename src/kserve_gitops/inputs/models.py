"""``models/<name>/``: InferenceServices (or LLMInferenceServices) as data scientists write them, plus
per-environment patches. A model folder holds one base, ``inferenceservice.yaml`` or
``llminferenceservice.yaml``, never both."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import credentials
from ..errors import InputError, ModelError, collect
from .config import PlatformConfig
from .yamlsrc import format_json_path, load_one, positions_for

MODELS_DIR = "models"
BASE_FILE = "inferenceservice.yaml"
ENVIRONMENTS_ANNOTATION = "kserve-gitops.io/environments"
# The model's size ("2Gi"): cache it on the environment's LocalModelNodeGroups (constructs/modelcache.py).
CACHE_ANNOTATION = "kserve-gitops.io/local-model-cache"
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(k|Ki|Mi|Gi|Ti|Pi|Ei|M|G|T|P|E)?$")
ISVC_API_VERSION = "serving.kserve.io/v1beta1"
ISVC_KIND = "InferenceService"
# KServe's LLMInferenceService: written in its storage version (v1alpha2, KServe v0.20+). KServe serves
# v1alpha1 too and converts it, but the typed construct, the schemas and the patches use one version.
LLM_BASE_FILE = "llminferenceservice.yaml"
LLM_API_VERSION = "serving.kserve.io/v1alpha2"
LLM_KIND = "LLMInferenceService"
BASE_FILES = {BASE_FILE: (ISVC_API_VERSION, ISVC_KIND), LLM_BASE_FILE: (LLM_API_VERSION, LLM_KIND)}
# KServe derives Service and route names from the model name, so it must be a DNS-1035 label, short
# enough to leave room for suffixes such as "-predictor-00001-private".
MODEL_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_MODEL_NAME = 45
PATCH_TOP_LEVEL_KEYS = {"apiVersion", "kind", "metadata", "spec"}


@dataclass
class Model:
    name: str
    base_path: str
    base: dict[str, Any]
    environments: tuple[str, ...]
    overlays: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def directory(self) -> str:
        return str(Path(self.base_path).parent)

    @property
    def kind(self) -> str:
        """``InferenceService`` or ``LLMInferenceService``."""
        return str(self.base.get("kind", ISVC_KIND))

    @property
    def is_llm(self) -> bool:
        return self.kind == LLM_KIND

    def overlay(self, env: str) -> dict[str, Any]:
        return self.overlays.get(env, ("", {}))[1]

    def overlay_path(self, env: str) -> str:
        return self.overlays.get(env, ("", {}))[0]


def load_models(config: PlatformConfig, root: Path | None = None) -> list[Model]:
    """Load every model under ``models/``, sorted by name. A bad model folder raises its error after the
    others are read (``InputErrors`` when there are several)."""
    root = root or config.root
    models_dir = root / MODELS_DIR
    if not models_dir.is_dir():
        return []
    models = []
    errors: list[InputError] = []
    for entry in sorted(models_dir.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        try:
            rel = _rel(entry, root)
            if entry.is_symlink():
                _check_inside(entry, root, rel)
            if not entry.is_dir():
                if entry.suffix in (".yaml", ".yml"):
                    raise ModelError(
                        "model files belong in their own folder",
                        path=rel,
                        hint=f"move it to {MODELS_DIR}/<model-name>/{BASE_FILE}",
                    )
                continue
            models.append(load_model(entry, config, root))
        except InputError as exc:  # every broken model in one run, not one per run
            errors.append(exc)
    collect(errors)
    return models


def load_model(directory: Path, config: PlatformConfig, root: Path) -> Model:
    name = directory.name
    rel_dir = _rel(directory, root)
    if not MODEL_NAME.match(name) or len(name) > MAX_MODEL_NAME:
        raise ModelError(
            f"folder name {name!r} is not a valid model name",
            path=rel_dir,
            hint=f"use lower-case letters, digits and '-', starting with a letter, at most {MAX_MODEL_NAME} characters",
        )
    present = [f for f in BASE_FILES if (directory / f).exists()]
    if not present:
        raise ModelError(
            f"missing {BASE_FILE}",
            path=rel_dir,
            hint=f"every model folder holds one InferenceService ({BASE_FILE}) or one LLMInferenceService ({LLM_BASE_FILE})",
        )
    if len(present) > 1:
        raise ModelError(
            f"holds both {BASE_FILE} and {LLM_BASE_FILE}",
            path=rel_dir,
            hint="a model folder holds one model: move the other to its own folder under models/",
        )
    base_name = present[0]
    api_version, kind = BASE_FILES[base_name]
    base_file = directory / base_name
    base_rel = f"{rel_dir}/{base_name}"
    _check_inside(base_file, root, base_rel)
    base = load_one(_source_path(base_file, root))
    _check_base(base, base_rel, name, api_version=api_version, kind=kind)
    _check_credentials(base, base_rel)
    targets = _target_environments(base, base_rel, config)

    overlays: dict[str, tuple[str, dict[str, Any]]] = {}
    for file in sorted(directory.iterdir(), key=lambda p: p.name):
        if file.name in BASE_FILES or file.name.startswith(".") or file.suffix not in (".yaml", ".yml"):
            continue
        rel = f"{rel_dir}/{file.name}"
        _check_inside(file, root, rel)
        env = file.stem
        if env not in config.environments:
            raise ModelError(
                f"no environment named {env!r}",
                path=rel,
                hint=f"per-environment files are named after an environment: {', '.join(config.environments)}",
            )
        if env not in targets:
            raise ModelError(
                f"patch for environment {env!r}, which this model does not deploy to",
                path=rel,
                hint=f"add {env} to the {ENVIRONMENTS_ANNOTATION} annotation in {base_rel}, or delete the file",
            )
        patch = load_one(_source_path(file, root))
        _check_patch(patch, rel, name, api_version=api_version, kind=kind)
        _check_credentials(patch, rel)
        overlays[env] = (rel, patch)
    return Model(name=name, base_path=base_rel, base=base, environments=targets, overlays=overlays)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _source_path(path: Path, root: Path) -> str:
    """Path used to read and report a file: relative to the working directory when it can be."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _check_inside(path: Path, root: Path, rel: str) -> None:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise ModelError("is a link to a file outside the repository", path=rel) from None


def _fail(message: str, path: str, parts: list[Any], *, field: str | None = None, hint: str | None = None):
    line, col, _ = positions_for(path).locate(0, parts)
    raise ModelError(message, path=path, line=line, column=col, field=field, hint=hint)


def _check_credentials(doc: dict[str, Any], rel: str) -> None:
    """Synth copies a model into every environment's overlay: a credential in it would be copied too."""
    for parts, what in credentials.find(doc):
        field = format_json_path(parts)
        _fail(
            f"holds {what}; synth does not copy credentials into charts/ and overlays/",
            rel,
            parts,
            field=field,
            hint="use the environment's IRSA ServiceAccount or a storage-config Secret, and rotate this credential",
        )


def _api_version_hint(found: Any, kind: str) -> str | None:
    if not found:
        return None
    if kind == LLM_KIND:
        return (
            f"kserve-gitops writes the storage version {LLM_API_VERSION}; KServe v0.20's v1alpha1 and v1alpha2 "
            "LLMInferenceService specs match field for field, so changing the apiVersion line is enough"
        )
    if found == LLM_API_VERSION or found == "serving.kserve.io/v1alpha1":
        return f"an LLMInferenceService goes in {LLM_BASE_FILE}; 'kserve-gitops migrate' rewrites v1alpha2 InferenceServices"
    return "'kserve-gitops migrate' rewrites v1alpha2 manifests"


def _check_base(base: Any, rel: str, name: str, *, api_version: str = ISVC_API_VERSION, kind: str = ISVC_KIND) -> None:
    if not isinstance(base, dict):
        _fail(f"must be a mapping (an {kind} object)", rel, [])
    if base.get("apiVersion") != api_version:
        _fail(
            f"apiVersion must be {api_version}, found {base.get('apiVersion')!r}",
            rel,
            ["apiVersion"],
            field="apiVersion",
            hint=_api_version_hint(base.get("apiVersion"), kind),
        )
    if base.get("kind") != kind:
        other = LLM_BASE_FILE if base.get("kind") == LLM_KIND else BASE_FILE if base.get("kind") == ISVC_KIND else None
        _fail(
            f"kind must be {kind}, found {base.get('kind')!r}",
            rel,
            ["kind"],
            field="kind",
            hint=f"a {base.get('kind')} goes in {other}" if other else None,
        )
    meta = base.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        _fail("metadata.name is required", rel, ["metadata"], field="metadata.name")
    if meta["name"] != name:
        _fail(
            f"metadata.name {meta['name']!r} does not match the folder name {name!r}",
            rel,
            ["metadata", "name"],
            field="metadata.name",
        )
    if "namespace" in meta:
        _fail(
            "namespace is set per environment by kserve-gitops",
            rel,
            ["metadata", "namespace"],
            field="metadata.namespace",
            hint="remove it; environments list their model namespaces in kserve-gitops.yaml",
        )
    _check_string_maps(meta, rel)
    cache = (meta.get("annotations") or {}).get(CACHE_ANNOTATION)
    if cache is not None and not _QUANTITY.match(cache):
        _fail(
            f"{cache!r} is not a model size",
            rel,
            ["metadata", "annotations", CACHE_ANNOTATION],
            field=f"metadata.annotations.{CACHE_ANNOTATION}",
            hint="the model's size on disk as a Kubernetes quantity, such as 2Gi; KServe reserves that much per node",
        )
    spec = base.get("spec")
    if kind == LLM_KIND:
        if not isinstance(spec, dict) or not isinstance(spec.get("model"), dict) or not spec["model"].get("uri"):
            _fail(
                "spec.model.uri is required",
                rel,
                ["spec"],
                field="spec.model.uri",
                hint="where the model is: hf://org/model, s3://bucket/key, pvc://claim/path or oci://registry/image",
            )
    elif not isinstance(spec, dict) or not isinstance(spec.get("predictor"), dict):
        _fail("spec.predictor is required", rel, ["spec"], field="spec.predictor")
    extra = set(base) - PATCH_TOP_LEVEL_KEYS - {"status"}
    if extra:
        key = sorted(extra)[0]
        _fail(f"unexpected top-level field {key!r}", rel, [key], field=key)


def _target_environments(base: dict[str, Any], rel: str, config: PlatformConfig) -> tuple[str, ...]:
    annotations = (base.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(ENVIRONMENTS_ANNOTATION)
    if value is None:
        return tuple(config.promotion_order)
    if not isinstance(value, str):
        _fail("must be a comma-separated string", rel, ["metadata", "annotations", ENVIRONMENTS_ANNOTATION])
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    for env in wanted:
        if env not in config.environments:
            _fail(
                f"names environment {env!r}, which kserve-gitops.yaml does not define",
                rel,
                ["metadata", "annotations", ENVIRONMENTS_ANNOTATION],
                field=f"metadata.annotations.{ENVIRONMENTS_ANNOTATION}",
                hint=f"known environments: {', '.join(config.environments)}",
            )
    if not wanted:
        _fail("lists no environment", rel, ["metadata", "annotations", ENVIRONMENTS_ANNOTATION])
    return tuple(e for e in config.promotion_order if e in wanted)


def _check_patch(patch: Any, rel: str, name: str, *, api_version: str = ISVC_API_VERSION, kind: str = ISVC_KIND) -> None:
    if not isinstance(patch, dict):
        _fail(f"must be a mapping shaped like the {kind} it patches", rel, [])
    extra = set(patch) - PATCH_TOP_LEVEL_KEYS
    if extra:
        key = sorted(extra)[0]
        _fail(f"unexpected top-level field {key!r}", rel, [key], field=key, hint="a patch holds metadata and spec only")
    if "apiVersion" in patch and patch["apiVersion"] != api_version:
        _fail(f"apiVersion must be {api_version}", rel, ["apiVersion"], field="apiVersion")
    if "kind" in patch and patch["kind"] != kind:
        _fail(f"kind must be {kind}", rel, ["kind"], field="kind")
    meta = patch.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        _fail("metadata must be a mapping", rel, ["metadata"], field="metadata")
    if isinstance(meta, dict):
        _check_string_maps(meta, rel)
        if meta.get("name", name) != name:
            _fail(f"metadata.name must be {name!r} or left out", rel, ["metadata", "name"], field="metadata.name")
        if "namespace" in meta:
            _fail("namespace is set by kserve-gitops", rel, ["metadata", "namespace"], field="metadata.namespace")
        if CACHE_ANNOTATION in (meta.get("annotations") or {}):
            _fail(
                "the local model cache is declared once, in the model's inferenceservice.yaml",
                rel,
                ["metadata", "annotations", CACHE_ANNOTATION],
                field=f"metadata.annotations.{CACHE_ANNOTATION}",
                hint="environments choose whether to cache with localModelCache.nodeGroups in kserve-gitops.yaml",
            )
    if "spec" in patch and not isinstance(patch["spec"], dict):
        _fail("spec must be a mapping", rel, ["spec"], field="spec")


def _check_string_maps(meta: dict[str, Any], rel: str) -> None:
    """Labels and annotations are string maps; YAML reads `version: 1` or `enabled: true` as other types."""
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if values is None:
            continue
        if not isinstance(values, dict):
            _fail(f"{field} must be a mapping of strings", rel, ["metadata", field], field=f"metadata.{field}")
        for key, value in values.items():
            if not isinstance(key, str) or not isinstance(value, str):
                _fail(
                    f"value {value!r} is a {type(value).__name__}, not a string",
                    rel,
                    ["metadata", field, key],
                    field=f"metadata.{field}.{key}",
                    hint=f'quote it: {key}: "{value}"' if value is not None else "give it a value, or remove it",
                )
