"""``models/<name>/``: InferenceServices (or LLMInferenceServices) as data scientists write them, plus
per-environment patches. A model folder holds one base, ``inferenceservice.yaml`` or
``llminferenceservice.yaml``, never both."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .. import credentials
from ..errors import InputError, ModelError, collect
from .config import PlatformConfig
from .merge import merge_conflicts
from .paths import display_path
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
    # the repo the paths above are relative to: where a later error reads its line from (the cwd may be elsewhere)
    root: Path | None = field(default=None, compare=False)

    def source(self, rel: str) -> str:
        """The file behind the repo-relative path ``rel`` (base_path or an overlay path), to read."""
        return str(self.root / rel) if self.root is not None else rel

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
    base_src = _File(base_rel, _source_path(base_file, root))
    base = load_one(base_src.path)
    _check_base(base, base_src, name, api_version=api_version, kind=kind)
    _check_credentials(base, base_src)
    targets = _target_environments(base, base_src, config)

    patch_files = [
        f for f in sorted(directory.iterdir(), key=lambda p: p.name)
        if f.name not in BASE_FILES and not f.name.startswith(".") and f.suffix in (".yaml", ".yml")
    ]
    _check_one_patch_per_environment(patch_files, rel_dir)
    overlays: dict[str, tuple[str, dict[str, Any]]] = {}
    for file in patch_files:
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
        src = _File(rel, _source_path(file, root))
        patch = load_one(src.path)
        _check_patch(patch, src, name, api_version=api_version, kind=kind)
        _check_credentials(patch, src)
        _check_mergeable(base, patch, src, base_name)
        overlays[env] = (rel, patch)
    return Model(name=name, base_path=base_rel, base=base, environments=targets, overlays=overlays, root=root)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _source_path(path: Path, root: Path) -> str:
    """Path a file is read by (its errors show the repo-relative path): relative to the working directory
    when it can be."""
    return display_path(path)


def _check_inside(path: Path, root: Path, rel: str) -> None:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        raise ModelError("is a link to a file outside the repository", path=rel) from None


class _File(NamedTuple):
    """A model file as errors show it (``rel``, relative to the repo) and as it was read (``path``, which
    is elsewhere when the repo is not the working directory): positions come from the file read."""

    rel: str
    path: str


def _fail(message: str, file: _File, parts: list[Any], *, field: str | None = None, hint: str | None = None):
    line, col, _ = positions_for(file.path).locate(0, parts)
    raise ModelError(message, path=file.rel, line=line, column=col, field=field, hint=hint)


def _check_one_patch_per_environment(files: list[Path], rel_dir: str) -> None:
    """``prod.yaml`` and ``prod.yml`` both name environment prod: one of them would be silently ignored."""
    by_env: dict[str, list[str]] = {}
    for file in files:
        by_env.setdefault(file.stem, []).append(file.name)
    for env, names in by_env.items():
        if len(names) > 1:
            raise ModelError(
                f"holds both {' and '.join(names)}, two patches for environment {env!r}",
                path=rel_dir,
                hint="keep one and delete the other: a model has one patch per environment",
            )


_KINDS = ((dict, "a mapping"), (list, "a list"), (bool, "a boolean"), ((int, float), "a number"), (str, "a string"))


def _kind(value: Any) -> str:
    return next((name for types, name in _KINDS if isinstance(value, types)), type(value).__name__)


def _check_mergeable(base: dict[str, Any], patch: dict[str, Any], file: _File, base_name: str) -> None:
    """kustomize refuses to merge a map, a list and a scalar into one another (merge.py): refuse the patch
    here, at its field, rather than let ``kustomize build`` fail after synth."""
    for parts, was, now in merge_conflicts(base, patch):
        field = format_json_path(parts)
        _fail(
            f"{field} is {_kind(was)} in {base_name} but {_kind(now)} here; kustomize cannot merge them",
            file,
            parts,
            field=field,
            hint=f"write it as {_kind(was)}, as {base_name} does; to change its shape, change {base_name}",
        )


def _check_credentials(doc: dict[str, Any], file: _File) -> None:
    """Synth copies a model into every environment's overlay: a credential in it would be copied too."""
    for parts, what in credentials.find(doc):
        field = format_json_path(parts)
        _fail(
            f"holds {what}; synth does not copy credentials into charts/ and overlays/",
            file,
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


def _check_base(base: Any, file: _File, name: str, *, api_version: str = ISVC_API_VERSION, kind: str = ISVC_KIND) -> None:
    if not isinstance(base, dict):
        _fail(f"must be a mapping (an {kind} object)", file, [])
    if base.get("apiVersion") != api_version:
        _fail(
            f"apiVersion must be {api_version}, found {base.get('apiVersion')!r}",
            file,
            ["apiVersion"],
            field="apiVersion",
            hint=_api_version_hint(base.get("apiVersion"), kind),
        )
    if base.get("kind") != kind:
        other = LLM_BASE_FILE if base.get("kind") == LLM_KIND else BASE_FILE if base.get("kind") == ISVC_KIND else None
        _fail(
            f"kind must be {kind}, found {base.get('kind')!r}",
            file,
            ["kind"],
            field="kind",
            hint=f"a {base.get('kind')} goes in {other}" if other else None,
        )
    meta = base.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        _fail("metadata.name is required", file, ["metadata"], field="metadata.name")
    if meta["name"] != name:
        _fail(
            f"metadata.name {meta['name']!r} does not match the folder name {name!r}",
            file,
            ["metadata", "name"],
            field="metadata.name",
        )
    if "namespace" in meta:
        _fail(
            "namespace is set per environment by kserve-gitops",
            file,
            ["metadata", "namespace"],
            field="metadata.namespace",
            hint="remove it; environments list their model namespaces in kserve-gitops.yaml",
        )
    _check_string_maps(meta, file)
    cache = (meta.get("annotations") or {}).get(CACHE_ANNOTATION)
    if cache is not None and not _QUANTITY.match(cache):
        _fail(
            f"{cache!r} is not a model size",
            file,
            ["metadata", "annotations", CACHE_ANNOTATION],
            field=f"metadata.annotations.{CACHE_ANNOTATION}",
            hint="the model's size on disk as a Kubernetes quantity, such as 2Gi; KServe reserves that much per node",
        )
    spec = base.get("spec")
    if kind == LLM_KIND:
        if not isinstance(spec, dict) or not isinstance(spec.get("model"), dict) or not spec["model"].get("uri"):
            _fail(
                "spec.model.uri is required",
                file,
                ["spec"],
                field="spec.model.uri",
                hint="where the model is: hf://org/model, s3://bucket/key, pvc://claim/path or oci://registry/image",
            )
    elif not isinstance(spec, dict) or not isinstance(spec.get("predictor"), dict):
        _fail("spec.predictor is required", file, ["spec"], field="spec.predictor")
    extra = set(base) - PATCH_TOP_LEVEL_KEYS - {"status"}
    if extra:
        key = sorted(extra)[0]
        _fail(f"unexpected top-level field {key!r}", file, [key], field=key)


def _target_environments(base: dict[str, Any], file: _File, config: PlatformConfig) -> tuple[str, ...]:
    annotations = (base.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(ENVIRONMENTS_ANNOTATION)
    if value is None:
        return tuple(config.promotion_order)
    if not isinstance(value, str):
        _fail("must be a comma-separated string", file, ["metadata", "annotations", ENVIRONMENTS_ANNOTATION])
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    for env in wanted:
        if env not in config.environments:
            _fail(
                f"names environment {env!r}, which kserve-gitops.yaml does not define",
                file,
                ["metadata", "annotations", ENVIRONMENTS_ANNOTATION],
                field=f"metadata.annotations.{ENVIRONMENTS_ANNOTATION}",
                hint=f"known environments: {', '.join(config.environments)}",
            )
    if not wanted:
        _fail("lists no environment", file, ["metadata", "annotations", ENVIRONMENTS_ANNOTATION])
    return tuple(e for e in config.promotion_order if e in wanted)


def _check_patch(patch: Any, file: _File, name: str, *, api_version: str = ISVC_API_VERSION, kind: str = ISVC_KIND) -> None:
    if not isinstance(patch, dict):
        _fail(f"must be a mapping shaped like the {kind} it patches", file, [])
    extra = set(patch) - PATCH_TOP_LEVEL_KEYS
    if extra:
        key = sorted(extra)[0]
        _fail(f"unexpected top-level field {key!r}", file, [key], field=key, hint="a patch holds metadata and spec only")
    if "apiVersion" in patch and patch["apiVersion"] != api_version:
        _fail(f"apiVersion must be {api_version}", file, ["apiVersion"], field="apiVersion")
    if "kind" in patch and patch["kind"] != kind:
        _fail(f"kind must be {kind}", file, ["kind"], field="kind")
    meta = patch.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        _fail("metadata must be a mapping", file, ["metadata"], field="metadata")
    if isinstance(meta, dict):
        _check_string_maps(meta, file)
        if meta.get("name", name) != name:
            _fail(f"metadata.name must be {name!r} or left out", file, ["metadata", "name"], field="metadata.name")
        if "namespace" in meta:
            _fail("namespace is set by kserve-gitops", file, ["metadata", "namespace"], field="metadata.namespace")
        if CACHE_ANNOTATION in (meta.get("annotations") or {}):
            _fail(
                "the local model cache is declared once, in the model's inferenceservice.yaml",
                file,
                ["metadata", "annotations", CACHE_ANNOTATION],
                field=f"metadata.annotations.{CACHE_ANNOTATION}",
                hint="environments choose whether to cache with localModelCache.nodeGroups in kserve-gitops.yaml",
            )
    if "spec" in patch and not isinstance(patch["spec"], dict):
        _fail("spec must be a mapping", file, ["spec"], field="spec")


def _check_string_maps(meta: dict[str, Any], file: _File) -> None:
    """Labels and annotations are string maps; YAML reads `version: 1` or `enabled: true` as other types."""
    for field in ("labels", "annotations"):
        values = meta.get(field)
        if values is None:
            continue
        if not isinstance(values, dict):
            _fail(f"{field} must be a mapping of strings", file, ["metadata", field], field=f"metadata.{field}")
        for key, value in values.items():
            if not isinstance(key, str) or not isinstance(value, str):
                _fail(
                    f"value {value!r} is a {type(value).__name__}, not a string",
                    file,
                    ["metadata", field, key],
                    field=f"metadata.{field}.{key}",
                    hint=f'quote it: {key}: "{value}"' if value is not None else "give it a value, or remove it",
                )
