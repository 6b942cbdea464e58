"""``model add``: a model version from the MLflow registry (or a storage URI) becomes a change under ``models/``.

* A new model: ``models/<name>/inferenceservice.yaml``, deployed to the first environment of the promotion order
  (``kserve-gitops.io/environments``) with its ``storageUri`` for that environment.
* An existing model: a canary of the new version in one environment (default: the first of the promotion
  order) through ``operate/lifecycle.py``; in an environment that cannot split traffic (RawDeployment before
  KServe v0.20.0), the new ``storageUri`` in the environment's file, to be reviewed as a whole rollout.

The version is read with ``MlflowClient``: its artifact location (``get_model_version_download_uri``) and its
flavors (the ``MLmodel`` file next to the artifacts). ``modelFormat`` comes from the flavor; ``storageUri`` from
the artifact location, optionally rewritten by ``--artifact-uri-map FROM=TO`` prefixes and then mapped through
the environment's buckets (a bucket the environment may not read becomes the environment's bucket, same key,
as the release job copies artifacts between buckets). Labels record the registered model and version.

Refused (exit 2, nothing written): a version or alias the registry does not have, a flavor KServe cannot
serve, an artifact location a cluster cannot read (``file:``, a bare path, ``mlflow-artifacts:``, ``runs:``).
As every lifecycle change, the result is synthesized and validated in a temporary copy before anything is
written. mlflow is imported only here, and only when a registry is read.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from ..errors import EnvironmentProblem, ModelError, UsageError
from ..inputs.config import Environment, PlatformConfig
from ..inputs.models import MODELS_DIR
from ..synth.app import load_inputs
from . import lifecycle, yamledit
from .lifecycle import FileEdit, Outcome

REGISTERED_MODEL_LABEL = "kserve-gitops.io/mlflow-model"
VERSION_LABEL = "kserve-gitops.io/mlflow-version"
REGISTERED_MODEL_ANNOTATION = "kserve-gitops.io/mlflow-registered-model"  # the exact name (labels are limited)
SOURCE_ANNOTATION = "kserve-gitops.io/mlflow-source"
ENVIRONMENTS_ANNOTATION = "kserve-gitops.io/environments"

# MLflow flavor -> (KServe modelFormat name, the flavor key holding the library version). First match wins,
# so a model saved with both sklearn and python_function flavors is served by the sklearn runtime.
FLAVOR_FORMATS: dict[str, tuple[str, str]] = {
    "sklearn": ("sklearn", "sklearn_version"),
    "xgboost": ("xgboost", "xgb_version"),
    "lightgbm": ("lightgbm", "lgb_version"),
    "onnx": ("onnx", "onnx_version"),
    "tensorflow": ("tensorflow", "tensorflow_version"),
    "transformers": ("huggingface", "transformers_version"),
}
# Storage a KServe storage initializer can download from.
SERVABLE_SCHEMES = ("s3", "gs", "pvc", "hdfs", "webhdfs", "https", "oci", "hf")
LOCAL_SCHEMES = ("", "file", "mlflow-artifacts", "runs", "models", "dbfs")
MODEL_URI = re.compile(r"^models:/(?P<name>[^/]+)/(?P<ref>[^/]+)$")
LABEL_VALUE_BAD = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class ModelSource:
    """Where a model version comes from: its artifact URI, KServe format, and what to record."""

    artifact_uri: str
    model_format: str | None = None
    format_version: str | None = None
    registered_model: str | None = None
    version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


# --- reading the registry ----------------------------------------------------------------------------


def parse_model_uri(uri: str) -> tuple[str, str]:
    match = MODEL_URI.match(uri.strip())
    if not match:
        raise UsageError(
            f"--from-mlflow {uri!r} is not a registry reference",
            hint="write models:/<registered-name>/<version> or models:/<registered-name>/<alias>",
        )
    return match["name"], match["ref"]


def read_registry(uri: str, *, tracking_uri: str | None) -> ModelSource:
    """The model version ``models:/<name>/<version|alias>`` as the registry describes it."""
    name, ref = parse_model_uri(uri)
    try:
        import mlflow.artifacts
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException
    except ImportError:  # pragma: no cover - a packaging problem, not a code path tests can reach
        raise EnvironmentProblem("the MLflow client is not installed", hint="pip install mlflow-skinny") from None

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        version = client.get_model_version(name, ref) if ref.isdigit() else client.get_model_version_by_alias(name, ref)
        download_uri = client.get_model_version_download_uri(name, version.version)
        registered = client.get_registered_model(name)
    except MlflowException as exc:
        code = getattr(exc, "error_code", "")
        if code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
            raise ModelError(
                f"the MLflow registry has no {name!r} {'version' if ref.isdigit() else 'alias'} {ref!r}",
                hint=f"list the versions with MlflowClient().search_model_versions(\"name='{name}'\")",
            ) from None
        raise EnvironmentProblem(f"the MLflow registry at {tracking_uri or '(default)'} failed: {exc}") from None
    except OSError as exc:
        raise EnvironmentProblem(f"cannot reach the MLflow registry at {tracking_uri or '(default)'}: {exc}") from None

    flavors = _flavors(mlflow.artifacts, download_uri, tracking_uri, name, version.version)
    model_format, format_version = flavor_format(flavors, f"{name} version {version.version}")
    tags = {**(registered.tags or {}), **(version.tags or {})}
    return ModelSource(
        artifact_uri=download_uri,
        model_format=model_format,
        format_version=format_version,
        registered_model=name,
        version=str(version.version),
        tags={k: str(v) for k, v in tags.items()},
    )


def _flavors(artifacts: Any, download_uri: str, tracking_uri: str | None, name: str, version: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kserve-gitops-mlmodel-") as tmp:
        try:
            local = artifacts.download_artifacts(artifact_uri=download_uri.rstrip("/") + "/MLmodel", dst_path=tmp, tracking_uri=tracking_uri)
        except Exception as exc:  # MLflow raises many types for an unreadable store
            raise EnvironmentProblem(f"cannot read the MLmodel file of {name} version {version} at {download_uri}: {exc}") from None
        meta = yaml.safe_load(Path(local).read_text(encoding="utf-8")) or {}
    flavors = meta.get("flavors") if isinstance(meta, dict) else None
    if not isinstance(flavors, dict):
        raise ModelError(f"{name} version {version}: its MLmodel file lists no flavors", path=download_uri)
    return flavors


def flavor_format(flavors: dict[str, Any], what: str) -> tuple[str, str | None]:
    """KServe's (modelFormat name, major version) for MLflow ``flavors``; refuses flavors KServe cannot serve."""
    for flavor, (fmt, version_key) in FLAVOR_FORMATS.items():
        if flavor in flavors:
            library_version = str((flavors[flavor] or {}).get(version_key) or "")
            major = library_version.split(".")[0] if library_version[:1].isdigit() else None
            return fmt, major
    raise ModelError(
        f"{what} has flavor(s) {', '.join(sorted(flavors))}, which no KServe runtime of this platform serves",
        hint=f"log the model with one of the flavors {', '.join(FLAVOR_FORMATS)}, or add it by hand with a custom predictor container",
    )


# --- storage URIs ------------------------------------------------------------------------------------


def apply_uri_map(uri: str, mappings: list[str]) -> str:
    """The first ``FROM=TO`` prefix that matches rewrites ``uri``."""
    for mapping in mappings:
        source, sep, target = mapping.partition("=")
        if not sep or not source or not target:
            raise UsageError(f"--artifact-uri-map {mapping!r} is not FROM=TO", hint="e.g. file:///mlruns=s3://acme-mlflow/mlruns")
        if uri.startswith(source):
            return target + uri[len(source):]
    return uri


def servable_uri(uri: str) -> str:
    scheme = urlparse(uri).scheme.lower()
    if scheme in LOCAL_SCHEMES or scheme not in SERVABLE_SCHEMES:
        raise ModelError(
            f"the model's artifacts are at {uri}, which the cluster cannot download ({scheme or 'a local path'})",
            hint="point the MLflow artifact root at a bucket (s3://, gs://), or map it with --artifact-uri-map FROM=TO",
        )
    return uri


def storage_uri_for(uri: str, env: Environment) -> str:
    """``uri`` as environment ``env`` reads it: an s3 bucket it may not read becomes its own bucket, same key."""
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or parsed.netloc in env.allowed_buckets:
        return uri
    return f"s3://{env.bucket}{parsed.path}"


def label_value(text: str) -> str:
    value = LABEL_VALUE_BAD.sub("-", text).strip("-_.")[:63].strip("-_.")
    return value or "unnamed"


# --- the edit ----------------------------------------------------------------------------------------


def add_model(
    root: Path,
    name: str,
    source: ModelSource,
    *,
    env: str | None = None,
    percent: int = 10,
    team: str | None = None,
    owner: str | None = None,
    uri_map: list[str] | None = None,
    dry_run: bool = False,
) -> Outcome:
    config, models = load_inputs(root)
    environment = config.environment(env) if env else config.environments[config.promotion_order[0]]
    artifact_uri = servable_uri(apply_uri_map(source.artifact_uri, uri_map or []))
    storage_uri = storage_uri_for(artifact_uri, environment)
    existing = {m.name for m in models}
    if name in existing:
        return _add_version(root, name, environment, storage_uri, source, percent=percent, dry_run=dry_run)
    return _new_model(root, config, name, environment, storage_uri, source, team=team, owner=owner, dry_run=dry_run)


def _labels(source: ModelSource) -> dict[str, str]:
    if not source.registered_model:
        return {}
    return {REGISTERED_MODEL_LABEL: label_value(source.registered_model), VERSION_LABEL: label_value(source.version or "")}


def _new_model(
    root: Path,
    config: PlatformConfig,
    name: str,
    env: Environment,
    storage_uri: str,
    source: ModelSource,
    *,
    team: str | None,
    owner: str | None,
    dry_run: bool,
) -> Outcome:
    team = team or source.tags.get("team")
    owner = owner or source.tags.get("owner")
    if not team or not owner:
        raise UsageError(
            f"a new model needs a team and an owner (labels every model carries); {name} has "
            f"{'no team' if not team else ''}{' and ' if not team and not owner else ''}{'no owner' if not owner else ''}",
            hint="pass --team and --owner, or tag the registered model with team and owner in MLflow",
        )
    if not source.model_format:
        raise UsageError(f"{name} is new: say which model format it is with --format (e.g. sklearn)")
    fmt: dict[str, Any] = {"name": source.model_format}
    if source.format_version:
        fmt["version"] = source.format_version
    model: dict[str, Any] = {"modelFormat": fmt, "storageUri": storage_uri}
    if env.default_resources:
        model["resources"] = env.default_resources
    annotations = {ENVIRONMENTS_ANNOTATION: env.name}
    if source.registered_model:
        annotations[REGISTERED_MODEL_ANNOTATION] = source.registered_model
        annotations[SOURCE_ANNOTATION] = f"models:/{source.registered_model}/{source.version}"
    manifest = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": name, "labels": {"team": team, "owner": owner, **_labels(source)}, "annotations": annotations},
        "spec": {"predictor": {"model": model}},
    }
    origin = f"MLflow {source.registered_model} version {source.version}" if source.registered_model else source.artifact_uri
    header = f"# {name}: {origin}, added by 'kserve-gitops model add'. Deployed to {env.name} first; promote from there.\n"
    rel = f"{MODELS_DIR}/{name}/inferenceservice.yaml"
    text = header + yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False)
    edits = [FileEdit(rel, None, text)]
    summary = f"{name}: new model ({fmt['name']}) serving {storage_uri} in {env.name}"
    outcome = Outcome(action="add", model=name, environment=env.name, summary=summary, edits=edits)
    files, report = lifecycle.check_candidate(root, edits, environments=[env.name])
    outcome.report = report
    if outcome.valid and not dry_run:
        outcome.generated = lifecycle.write_edits(root, edits, files)
        outcome.written = True
    return outcome


def _add_version(
    root: Path, name: str, env: Environment, storage_uri: str, source: ModelSource, *, percent: int, dry_run: bool
) -> Outcome:
    target = lifecycle._Target.load(root, name, env.name)
    if env.canary_form is not None:
        if not 1 <= percent <= 99:
            raise UsageError(f"--percent must be between 1 and 99, not {percent}")
        if target.state() != "none":
            raise ModelError(
                f"{name} already has a canary in progress in {env.name}",
                path=target.env_rel,
                hint=f"promote or roll it back first ('kserve-gitops promote|rollback {name} --env {env.name}')",
            )
        summary = target.start(storage_uri, percent)
        action = "canary"
    else:
        # No traffic split in this mode: the new version replaces the old one, reviewed as one pull request.
        current = yamledit.get_in(target.as_written(), lifecycle.STORAGE_URI)
        if current == storage_uri:
            raise ModelError(f"{name} already serves {storage_uri} in {env.name}", path=target.env_rel)
        yamledit.set_in(target.patch.data, lifecycle.STORAGE_URI, storage_uri)
        summary = f"{name} in {env.name}: {current} → {storage_uri} (a {env.deployment_mode} environment cannot canary)"
        action = "rollout"
    labels = _labels(source)
    annotations = {SOURCE_ANNOTATION: f"models:/{source.registered_model}/{source.version}"} if source.registered_model else {}
    if action == "canary":
        # The labels describe the version that serves: the canary's wait beside it until promote.
        target.set_canary_metadata({k: v for k, v in labels.items() if k == VERSION_LABEL}, annotations)
        labels = {k: v for k, v in labels.items() if k != VERSION_LABEL}
        annotations = {}
    for key, value in labels.items():
        yamledit.set_in(target.patch.data, ["metadata", "labels", key], value, first=True)
    for key, value in annotations.items():
        if yamledit.get_in(target.as_written(), ["metadata", "annotations", key]) != value:
            yamledit.set_in(target.patch.data, ["metadata", "annotations", key], value, first=True)
    return lifecycle._finish(root, target, action, summary, dry_run=dry_run, validate=True)
