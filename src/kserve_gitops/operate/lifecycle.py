"""canary, promote and rollback: a model's rollout as edits to its files under ``models/``.

Each command edits ``models/<name>/<env>.yaml`` (created when absent) or, when the canary lives there,
the base ``inferenceservice.yaml``, with ruamel round-trip so everything outside the changed keys keeps its
bytes. The edited repo is synthesized and validated in a temporary copy first; only a valid result is
written, the model files first and then ``charts/`` and ``overlays/`` (restoring the model files if that
fails), so an invalid or failed change leaves the repo as it was.

How a canary is written depends on the environment's KServe version and deployment mode, as KServe's own
admission webhook accepts it (``inputs/modes.py``):

* Knative (Serverless) mode, every KServe version: the new ``storageUri`` on the predictor with
  ``canaryTrafficPercent``; Knative keeps the previously rolled-out revision for the rest of the traffic. The
  stable URI is recorded in git in the annotation ``kserve-gitops.io/stable-storage-uri`` so that rollback
  restores it exactly.
* Standard mode on KServe v0.20.0 and later: a list entry ``spec.canary: [{trafficPercent, predictor}]``
  whose predictor is named (``predictor.name``, required there and different from the stable predictor's;
  KServe deploys it as ``<model>-<name>-predictor``). Promote makes the canary's predictor the predictor,
  name included (KServe's promotion without a restart), rollback removes the entry. v0.20.0 refuses the
  list in Knative mode, so Knative environments keep the revision form.
* Standard (RawDeployment) mode before v0.20.0: KServe cannot split traffic there, so starting or shifting a
  canary is refused; promote and rollback still clean up a canary written by hand.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import KserveGitopsError, LifecycleError, UsageError
from ..inputs import modes
from ..inputs.config import CONFIG_FILE, Environment
from ..inputs.models import MODELS_DIR, Model
from ..results import Report
from ..synth.app import load_inputs, synthesize
from ..inputs.merge import merge_patch
from ..synth.output import Drift, with_stamp, write_tree
from ..synth.scratch import scratch_tree
from ..validate.base import committed_objects
from ..validate.run import default_chart_dirs, ValidateOptions, default_crd_roots, validate_repo
from . import yamledit
from .atomic import write_text_atomic
from .yamledit import Document

STABLE_ANNOTATION = "kserve-gitops.io/stable-storage-uri"
LIST_CANARY_SINCE = modes.LIST_CANARY_SINCE
DEFAULT_CONTAINER = "kserve-container"  # KServe's name for the model server container
DEFAULT_CANARY_NAME = "canary"
# KServe names a named predictor's Service <model>-<name>-predictor, a DNS label of at most 63 characters.
_NAME_BUDGET = 63 - len("--predictor")
# What the validation copy needs besides models/: the config and whatever validate reads from the repo.
REPO_INPUTS = (CONFIG_FILE, MODELS_DIR, "policies", "schemas")

PREDICTOR = ["spec", "predictor"]
STORAGE_URI = ["spec", "predictor", "model", "storageUri"]
TRAFFIC = ["spec", "predictor", "canaryTrafficPercent"]
CANARY = ["spec", "canary"]
STABLE = ["metadata", "annotations", STABLE_ANNOTATION]
# Labels and annotations that describe the model version (the MLflow version and source, see mlflow.py).
# They describe the version that serves: a canary's own values wait under CANARY_PREFIX + key (an
# annotation) until promote makes them the model's; rollback drops them.
VERSION_LABELS = ("kserve-gitops.io/mlflow-version",)
VERSION_ANNOTATIONS = ("kserve-gitops.io/mlflow-source",)
CANARY_PREFIX = "canary."
# rollback --pin: the classic canary's instant rollback (KServe docs): all traffic back to the previous
# revision, the canary's revision kept for a later retry.
PINNED_ANNOTATION = "kserve-gitops.io/pinned-canary-storage-uri"


@dataclass
class FileEdit:
    """One model file before and after; ``None`` means absent (created or deleted)."""

    path: str  # repo-relative, POSIX
    before: str | None
    after: str | None

    def unified_diff(self) -> str:
        before = (self.before or "").splitlines(keepends=True)
        after = (self.after or "").splitlines(keepends=True)
        old = f"a/{self.path}" if self.before is not None else "/dev/null"
        new = f"b/{self.path}" if self.after is not None else "/dev/null"
        lines = list(difflib.unified_diff(before, after, old, new))
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


@dataclass
class Outcome:
    """What a lifecycle command did (or would do): the edits, the validation report, whether it wrote."""

    action: str
    model: str
    environment: str
    summary: str
    edits: list[FileEdit]
    report: Report | None = None
    written: bool = False
    generated: Drift | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def diff(self) -> str:
        return "".join(edit.unified_diff() for edit in self.edits)

    @property
    def valid(self) -> bool:
        return self.report is None or self.report.exit_code() == 0


# --- entry points ------------------------------------------------------------------------------------


def canary(
    root: Path, model: str, *, env: str, percent: int, storage_uri: str | None = None, dry_run: bool = False, validate: bool = True
) -> Outcome:
    """Start a canary of ``storage_uri`` at ``percent`` of the traffic, or (without a URI) shift the traffic."""
    if not 1 <= percent <= 99:
        raise UsageError(
            f"--percent must be between 1 and 99, not {percent}",
            hint="'kserve-gitops promote' sends 100% to the canary, 'kserve-gitops rollback' sends 0%",
        )
    target = _Target.load(root, model, env)
    _require_canary_mode(target.env)
    state = target.state()
    if storage_uri is None:
        if state == "none":
            raise LifecycleError(
                f"{model} has no canary in progress in {env}",
                path=target.env_rel,
                hint=f"start one with 'kserve-gitops canary {model} --env {env} --storage-uri URI --percent {percent}'",
            )
        summary = target.shift(state, percent)
    else:
        if state != "none":
            current = target.canary_uri(state)
            if current != storage_uri:
                raise LifecycleError(
                    f"a canary of {current} is already in progress for {model} in {env}",
                    path=target.holder_rel(state),
                    hint=f"promote or roll it back first ('kserve-gitops promote|rollback {model} --env {env}')",
                )
            summary = target.shift(state, percent)
        else:
            summary = target.start(storage_uri, percent)
    return _finish(root, target, "canary", summary, dry_run=dry_run, validate=validate)


def promote(root: Path, model: str, *, env: str, dry_run: bool = False, validate: bool = True) -> Outcome:
    """Make the canary the model that serves all traffic."""
    target = _Target.load(root, model, env)
    state = target.state()
    if state == "none":
        raise LifecycleError(f"{model} has no canary to promote in {env}", path=target.env_rel)
    return _finish(root, target, "promote", target.promote(state), dry_run=dry_run, validate=validate)


def rollback(
    root: Path, model: str, *, env: str, dry_run: bool = False, validate: bool = True, pin: bool = False, last_promotion: bool = False
) -> Outcome:
    """Drop the canary and send all traffic to the stable model, exactly as it was recorded.

    ``pin`` (classic canary, Knative mode): KServe's instant rollback, ``canaryTrafficPercent: 0``: the
    previously rolled-out revision takes all traffic at once, the canary's revision stays for a retry.
    ``last_promotion``: no canary needed; restore the stable storageUri the model served before the last
    commit that changed it (the last promotion or rollout), from git history.

    An incident rollback is judged by what it changes: the model, in every environment it deploys to;
    findings about other models are not its business and do not stop it.
    """
    if pin and last_promotion:
        raise UsageError("--pin and --last-promotion are two different rollbacks; choose one")
    target = _Target.load(root, model, env)
    if last_promotion:
        summary = target.undo_promotion(root)
        return _finish(root, target, "rollback", summary, dry_run=dry_run, validate=validate, scope_to_model=True)
    state = target.state()
    if state == "none":
        raise LifecycleError(f"{model} has no canary to roll back in {env}", path=target.env_rel)
    summary = target.pin(state) if pin else target.rollback(state)
    return _finish(root, target, "rollback", summary, dry_run=dry_run, validate=validate, scope_to_model=True)


# --- version and mode --------------------------------------------------------------------------------

parse_version = modes.parse_version


def uses_canary_list(env: Environment) -> bool:
    """True when the environment canaries with the list-form ``spec.canary`` (Standard mode, KServe v0.20.0+)."""
    return env.canary_form == modes.LIST_CANARY


def _require_canary_mode(env: Environment) -> None:
    if env.canary_form is None:
        raise LifecycleError(
            f"environment {env.name!r} runs KServe {env.kserve_version} in {env.deployment_mode} mode, where KServe "
            "cannot split traffic between model versions (a canary needs Knative (Serverless) mode, or Standard mode "
            f"on KServe v{'.'.join(map(str, LIST_CANARY_SINCE))} or later)",
            path=CONFIG_FILE,
            field=f"environments.{env.name}.kserve.deploymentMode",
            hint="roll out by changing the model's storageUri in a reviewed pull request, or canary in another environment",
        )


# --- one model in one environment --------------------------------------------------------------------


@dataclass
class _Target:
    root: Path
    model: Model
    env: Environment
    base_rel: str
    env_rel: str
    base: Document
    patch: Document

    @classmethod
    def load(cls, root: Path, name: str, env_name: str) -> "_Target":
        config, models = load_inputs(root)
        env = config.environment(env_name)
        by_name = {m.name: m for m in models}
        if name not in by_name:
            raise UsageError(f"no model named {name!r} under {MODELS_DIR}/", hint=f"known models: {', '.join(by_name) or '(none)'}")
        model = by_name[name]
        if model.is_llm:  # one check for canary, promote and rollback
            raise LifecycleError(
                f"{name} is an LLMInferenceService; canary, promote and rollback change InferenceServices only",
                path=model.base_path,
                hint=f"roll out a new version by changing spec.model.uri in {MODELS_DIR}/{name}/{env.name}.yaml in a pull request",
            )
        if env.name not in model.environments:
            raise LifecycleError(
                f"{name} does not deploy to {env.name}",
                path=model.base_path,
                hint=f"it deploys to: {', '.join(model.environments)}",
            )
        env_rel = model.overlay_path(env.name) or f"{MODELS_DIR}/{name}/{env.name}.yaml"
        base_rel = model.base_path
        return cls(
            root=root,
            model=model,
            env=env,
            base_rel=base_rel,
            env_rel=env_rel,
            base=yamledit.load(root / base_rel, display=base_rel),
            patch=yamledit.load(root / env_rel, display=env_rel),
        )

    # -- reading the state as written (base, then the environment's patch) --

    def as_written(self) -> dict[str, Any]:
        return merge_patch(_plain(self.base.data), _plain(self.patch.data))

    def state(self) -> str:
        """``list`` (spec.canary), ``revision`` (canaryTrafficPercent) or ``none``."""
        manifest = self.as_written()
        if yamledit.get_in(manifest, CANARY):
            if not isinstance(yamledit.get_in(manifest, CANARY), list):
                raise LifecycleError(
                    "spec.canary is the legacy object form",
                    path=self.holder_rel("list"),
                    field="spec.canary",
                    hint="run 'kserve-gitops migrate' to rewrite it in the current form",
                )
            return "list"
        if yamledit.get_in(manifest, TRAFFIC) is not None:
            return "revision"
        return "none"

    def holder(self, path: list[str]) -> tuple[Document, str]:
        """The file that writes ``path`` for this environment: its patch when it does, else the base."""
        if yamledit.has(self.patch.data, path):
            return self.patch, self.env_rel
        return self.base, self.base_rel

    def holder_rel(self, state: str) -> str:
        return self.holder(CANARY if state == "list" else TRAFFIC)[1]

    def _canary_entry(self) -> dict[str, Any]:
        entries = yamledit.get_in(self.as_written(), CANARY)
        if len(entries) != 1 or not isinstance(entries[0], dict):
            raise LifecycleError(
                f"spec.canary has {len(entries)} entries; kserve-gitops manages exactly one canary",
                path=self.holder_rel("list"),
                field="spec.canary",
                hint="edit the file by hand to keep one canary",
            )
        return entries[0]

    def canary_uri(self, state: str) -> str | None:
        if state == "list":
            return yamledit.get_in(self._canary_entry(), ["predictor", "model", "storageUri"])
        return yamledit.get_in(self.as_written(), STORAGE_URI)

    def _require_form(self, state: str) -> None:
        """Shifting a canary of the form this environment does not run is refused: KServe's webhook rejects it."""
        form = self.env.canary_form
        if state == modes.LIST_CANARY and form != modes.LIST_CANARY:
            why = (
                f"KServe {self.env.kserve_version} in {self.env.name} has no list-form spec.canary"
                if not modes.has_list_canary(self.env.kserve_version)
                else f"KServe accepts the list-form spec.canary only in Standard mode, and {self.env.name} runs {self.env.deployment_mode}"
            )
            raise LifecycleError(
                why,
                path=self.holder_rel(state),
                field="spec.canary",
                hint=f"roll it back ('kserve-gitops rollback {self.model.name} --env {self.env.name}') and start again",
            )
        if state == modes.REVISION_CANARY and form != modes.REVISION_CANARY:
            raise LifecycleError(
                f"canaryTrafficPercent splits traffic between Knative revisions, and {self.env.name} runs KServe in "
                f"{self.env.deployment_mode} mode",
                path=self.holder_rel(state),
                field="spec.predictor.canaryTrafficPercent",
                hint=f"roll it back ('kserve-gitops rollback {self.model.name} --env {self.env.name}') and start again",
            )

    def canary_name(self, storage_uri: str) -> str:
        return canary_predictor_name(self.model.name, storage_uri, yamledit.get_in(self.as_written(), [*PREDICTOR, "name"]))

    # -- edits --

    def start(self, storage_uri: str, percent: int) -> str:
        manifest = self.as_written()
        model_spec = yamledit.get_in(manifest, ["spec", "predictor", "model"])
        if not isinstance(model_spec, dict):
            raise LifecycleError(
                "the predictor has no 'model' section (a per-framework or custom-container predictor)",
                path=self.base_rel,
                field="spec.predictor",
                hint="run 'kserve-gitops migrate' to rewrite per-framework predictors as predictor.model",
            )
        stable = model_spec.get("storageUri")
        if not stable:
            raise LifecycleError("the predictor has no storageUri to canary from", path=self.base_rel, field="spec.predictor.model.storageUri")
        if stable == storage_uri:
            raise LifecycleError(f"{self.model.name} already serves {storage_uri} in {self.env.name}", path=self.env_rel)
        if uses_canary_list(self.env):
            # Copied from the files' own nodes so quoting survives. KServe's webhook requires the canary's
            # predictor to be named; the v0.20.0 CRD requires a container name on the canary's model.
            canary_model = yamledit.merged_copy(
                yamledit.get_in(self.base.data, ["spec", "predictor", "model"]),
                yamledit.get_in(self.patch.data, ["spec", "predictor", "model"]),
            )
            if "name" not in canary_model:
                canary_model.insert(0, "name", DEFAULT_CONTAINER)
            canary_model["storageUri"] = storage_uri
            name = self.canary_name(storage_uri)
            yamledit.set_in(self.patch.data, CANARY, [{"trafficPercent": percent, "predictor": {"name": name, "model": canary_model}}])
            return f"{self.model.name} in {self.env.name}: canary {storage_uri} at {percent}% (spec.canary, predictor {name}), stable {stable}"
        yamledit.set_in(self.patch.data, STABLE, stable, first=True)
        yamledit.set_in(self.patch.data, STORAGE_URI, storage_uri)
        yamledit.set_in(self.patch.data, TRAFFIC, percent)
        return f"{self.model.name} in {self.env.name}: canary {storage_uri} at {percent}% (canaryTrafficPercent), stable {stable}"

    def shift(self, state: str, percent: int) -> str:
        self._require_form(state)
        if state == "list":
            self._canary_entry()
            doc, _ = self.holder(CANARY)
            entry = doc.data["spec"]["canary"][0]
            old = entry.get("trafficPercent")
            entry["trafficPercent"] = percent
        else:
            doc, _ = self.holder(TRAFFIC)
            old = yamledit.get_in(doc.data, TRAFFIC)
            yamledit.set_in(doc.data, TRAFFIC, percent)
        return f"{self.model.name} in {self.env.name}: canary {old}% → {percent}%"

    def promote(self, state: str) -> str:
        if state == "list":
            entry = self._canary_entry()
            doc, _ = self.holder(CANARY)
            canary_predictor = entry.get("predictor") or {}
            # The predictor this file would have without the canary: the base, plus the patch when it holds it.
            without = _plain(self.base.data) if doc is self.base else self.as_written()
            stable_predictor = yamledit.get_in(without, PREDICTOR) or {}
            # The predictor takes the canary's fields, its name included: KServe then keeps the canary's
            # Deployment (<model>-<name>-predictor) and promotes without a restart.
            for path, value in _leaves(canary_predictor):
                if path == ["model", "name"]:
                    continue  # the canary's container name; KServe's webhook refuses model.name on the predictor
                if yamledit.get_in(stable_predictor, path) != value:
                    yamledit.set_in(doc.data, [*PREDICTOR, *path], copy.deepcopy(value))
            yamledit.delete_in(doc.data, CANARY)
            self.adopt_canary_metadata()
            uri = yamledit.get_in(canary_predictor, ["model", "storageUri"])
            return f"{self.model.name} in {self.env.name}: promoted canary {uri} to the predictor"
        uri = yamledit.get_in(self.as_written(), STORAGE_URI)
        doc, _ = self.holder(TRAFFIC)
        yamledit.delete_in(doc.data, TRAFFIC)
        for doc in (self.patch, self.base):
            yamledit.delete_in(doc.data, STABLE)
            yamledit.delete_in(doc.data, ["metadata", "annotations", PINNED_ANNOTATION])
        self.adopt_canary_metadata()
        return f"{self.model.name} in {self.env.name}: promoted {uri} to 100% of traffic"

    # -- the labels that describe the version --

    def pending_metadata(self) -> dict[str, Any]:
        """The canary's own version labels and annotations (key without the prefix → value)."""
        annotations = yamledit.get_in(self.as_written(), ["metadata", "annotations"]) or {}
        return {str(k)[len(CANARY_PREFIX) :]: v for k, v in annotations.items() if str(k).startswith(CANARY_PREFIX + "kserve-gitops.io/")}

    def set_canary_metadata(self, labels: dict[str, str], annotations: dict[str, str]) -> None:
        """Record a canary's version labels (and annotations) until promote: they do not describe what serves."""
        for key, value in {**labels, **annotations}.items():
            current = yamledit.get_in(self.as_written(), ["metadata", "labels" if key in labels else "annotations", key])
            if current == value:
                continue
            yamledit.set_in(self.patch.data, ["metadata", "annotations", CANARY_PREFIX + key], value, first=True)

    def adopt_canary_metadata(self) -> None:
        """Promote: the canary's version labels become the model's."""
        for key, value in self.pending_metadata().items():
            where = "labels" if key in VERSION_LABELS or yamledit.has(self.as_written(), ["metadata", "labels", key]) else "annotations"
            yamledit.set_in(self.patch.data, ["metadata", where, key], value, first=True)
        self.drop_canary_metadata()

    def drop_canary_metadata(self) -> None:
        for doc in (self.patch, self.base):
            annotations = yamledit.get_in(doc.data, ["metadata", "annotations"]) or {}
            for key in [k for k in annotations if str(k).startswith(CANARY_PREFIX + "kserve-gitops.io/")]:
                yamledit.delete_in(doc.data, ["metadata", "annotations", key])

    def rollback(self, state: str) -> str:
        if state == "list":
            entry = self._canary_entry()
            doc, _ = self.holder(CANARY)
            yamledit.delete_in(doc.data, CANARY)
            self.drop_canary_metadata()
            uri = yamledit.get_in(entry, ["predictor", "model", "storageUri"])
            return f"{self.model.name} in {self.env.name}: rolled back canary {uri}"
        manifest = self.as_written()
        stable = yamledit.get_in(manifest, STABLE)
        if not stable:
            raise LifecycleError(
                "the stable storageUri is not recorded, so rollback cannot restore it exactly",
                path=self.holder_rel(state),
                field="spec.predictor.canaryTrafficPercent",
                hint=f"add the annotation {STABLE_ANNOTATION}: <stable URI> to {self.env_rel}, or edit the file by hand",
            )
        canary_uri = yamledit.get_in(manifest, STORAGE_URI)
        doc, _ = self.holder(STORAGE_URI)
        inherited = yamledit.get_in(_plain(self.base.data), STORAGE_URI)
        if doc is self.patch and inherited == stable:
            # The stable URI is the base's: drop the override so the file reads as before the canary.
            yamledit.delete_in(doc.data, STORAGE_URI)
        else:
            yamledit.set_in(doc.data, STORAGE_URI, stable)
        traffic_doc, _ = self.holder(TRAFFIC)
        yamledit.delete_in(traffic_doc.data, TRAFFIC)
        for doc in (self.patch, self.base):
            yamledit.delete_in(doc.data, STABLE)
            yamledit.delete_in(doc.data, ["metadata", "annotations", PINNED_ANNOTATION])
        self.drop_canary_metadata()
        return f"{self.model.name} in {self.env.name}: rolled back canary {canary_uri}, serving {stable}"

    def pin(self, state: str) -> str:
        """KServe's instant rollback of a classic canary: ``canaryTrafficPercent: 0`` sends all traffic to the
        previously rolled-out revision at once; the canary's revision stays deployed (for a retry or a
        post-mortem) until a later ``rollback`` restores the stable URI or ``canary`` shifts traffic again."""
        if state != modes.REVISION_CANARY:
            raise LifecycleError(
                "--pin is the classic canary's instant rollback (canaryTrafficPercent: 0); this canary is the list-form spec.canary",
                path=self.holder_rel(state),
                field="spec.canary",
                hint=f"'kserve-gitops rollback {self.model.name} --env {self.env.name}' removes the list entry, which is as fast",
            )
        self._require_form(state)
        doc, _ = self.holder(TRAFFIC)
        old = yamledit.get_in(doc.data, TRAFFIC)
        if old == 0:
            raise LifecycleError(f"{self.model.name} is already pinned to its previous revision in {self.env.name}", path=self.holder_rel(state))
        yamledit.set_in(doc.data, TRAFFIC, 0)
        uri = yamledit.get_in(self.as_written(), STORAGE_URI)
        stable = yamledit.get_in(self.as_written(), STABLE)
        return (
            f"{self.model.name} in {self.env.name}: canary {uri} pinned at 0% (was {old}%); the previous revision"
            f" ({stable or 'the stable version'}) serves all traffic"
        )

    def undo_promotion(self, root: Path) -> str:
        """Restore the stable storageUri this environment served before the last commit that changed it."""
        state = self.state()
        if state != "none":
            raise LifecycleError(
                f"{self.model.name} has a canary in progress in {self.env.name}",
                path=self.holder_rel(state),
                hint=f"'kserve-gitops rollback {self.model.name} --env {self.env.name}' drops the canary; --last-promotion undoes a finished one",
            )
        current = yamledit.get_in(self.as_written(), STORAGE_URI)
        previous, commit = previous_stable(root, self, current)
        doc, _ = self.holder(STORAGE_URI)
        inherited = yamledit.get_in(_plain(self.base.data), STORAGE_URI)
        if doc is self.patch and inherited == previous:
            yamledit.delete_in(doc.data, STORAGE_URI)
        else:
            yamledit.set_in(doc.data, STORAGE_URI, previous)
        # the version labels of the restored version, as they were written then
        old_meta = commit_metadata(root, self, commit)
        for where, keys in (("labels", VERSION_LABELS), ("annotations", VERSION_ANNOTATIONS)):
            for key in keys:
                now = yamledit.get_in(self.as_written(), ["metadata", where, key])
                then = old_meta.get(where, {}).get(key)
                if then is not None and then != now:
                    yamledit.set_in(self.patch.data, ["metadata", where, key], then, first=True)
                elif then is None and now is not None:
                    for holder in (self.patch, self.base):
                        yamledit.delete_in(holder.data, ["metadata", where, key])
        return f"{self.model.name} in {self.env.name}: rolled back the last promotion ({current} → {previous}, as of {commit[:12]})"

    def edits(self) -> list[FileEdit]:
        out = []
        for doc, rel in ((self.base, self.base_rel), (self.patch, self.env_rel)):
            if not doc.changed:
                continue
            after: str | None = doc.dump()
            if doc is self.patch and not doc.data:
                after = None  # nothing left to patch: the environment file goes away
                if doc.original is None:
                    continue
            out.append(FileEdit(rel, doc.original, after))
        return out


def canary_predictor_name(model: str, storage_uri: Any, stable_name: Any = None) -> str:
    """A name for a list-form canary's predictor (KServe requires one): the storage URI's last path segment
    as a DNS label (``v2`` for ``s3://bucket/model/v2``; ``v3`` for ``.../3``), else ``canary``; never the
    stable predictor's name, and short enough for KServe's ``<model>-<name>-predictor`` Service name."""
    uri = storage_uri if isinstance(storage_uri, str) else ""
    segment = uri.rstrip("/").rsplit("/", 1)[-1] if "/" in uri else ""
    name = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]+", "-", segment.lower())).strip("-")
    if name and not name[0].isalpha():
        name = f"v{name}"
    name = name[: max(_NAME_BUDGET - len(model), 0)].rstrip("-")
    for candidate in (name, DEFAULT_CANARY_NAME, f"{DEFAULT_CANARY_NAME}-2"):
        if candidate and candidate != stable_name:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover: two distinct candidates


def _plain(data: Any) -> Any:
    """ruamel containers as plain dicts and lists (for merging and comparing)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    if isinstance(data, str):
        return str(data)
    return data


def _leaves(data: dict[str, Any], prefix: list[str] | None = None):
    """(path, value) for every non-mapping value; lists are leaves (a merge replaces them whole)."""
    for key, value in data.items():
        path = [*(prefix or []), key]
        if isinstance(value, dict) and value:
            yield from _leaves(value, path)
        else:
            yield path, value


# --- validate in a copy, then write ------------------------------------------------------------------


def _finish(
    root: Path, target: _Target, action: str, summary: str, *, dry_run: bool, validate: bool, scope_to_model: bool = False
) -> Outcome:
    edits = target.edits()
    outcome = Outcome(action=action, model=target.model.name, environment=target.env.name, summary=summary, edits=edits)
    if not edits:
        outcome.notes.append("nothing to change")
        return outcome
    # The base is shared by every environment; a patch concerns one. A rollback is checked in every
    # environment of the model (what it changes), and only for the model.
    if scope_to_model or any(e.path == target.base_rel for e in edits):
        environments = list(target.model.environments)
    else:
        environments = [target.env.name]
    files, report = check_candidate(root, edits, environments=environments, validate=validate)
    if report is not None and scope_to_model:
        ignored = scope_report(report, target.model.name)
        if ignored:
            outcome.notes.append(f"{ignored} finding(s) about other objects than {target.model.name} are not this rollback's and were not held against it")
    outcome.report = report
    if not outcome.valid or dry_run:
        return outcome
    outcome.generated = write_edits(root, edits, files)
    outcome.written = True
    return outcome


def belongs_to_model(finding: Any, model: str) -> bool:
    """A finding about the model: on its InferenceService (or an object named after it), or in its files."""
    path = (finding.path or "").replace(os.sep, "/")
    if f"{MODELS_DIR}/{model}/" in f"/{path}" or f"charts/models/{model}/" in path or re.search(rf"overlays/[^/]+/models/{re.escape(model)}/", path):
        return True
    return finding.object is not None and finding.object.name == model


def scope_report(report: Report, model: str) -> int:
    """Keep only the findings about ``model`` (a rollback inherits no other model's); returns how many went."""
    dropped = 0
    for env in report.environments:
        kept = [f for f in env.findings if belongs_to_model(f, model) or env.name == "inputs"]
        dropped += len(env.findings) - len(kept)
        env.findings = kept
    return dropped


def previous_stable(root: Path, target: "_Target", current: Any) -> tuple[str, str]:
    """(storageUri, commit): the environment's storageUri before the last commit that changed it."""
    from . import gitrepo

    top = gitrepo.toplevel(root)
    inside = root.resolve().relative_to(top.resolve()).as_posix() if root.resolve() != top.resolve() else ""
    rels = [f"{inside}/{p}" if inside else p for p in (target.base_rel, target.env_rel)]
    log = gitrepo.git(["log", "--format=%H", "--", *rels], cwd=top).split()
    for commit in log:
        then = _stable_at(top, commit, rels, target)
        if then is not None and then != current:
            return str(then), commit
    raise LifecycleError(
        f"no earlier storageUri of {target.model.name} in {target.env.name} in git history (it has served {current} since it was added)",
        path=target.env_rel,
        hint="roll out the version to restore with 'kserve-gitops canary' or edit the storageUri",
    )


def commit_metadata(root: Path, target: "_Target", commit: str) -> dict[str, dict[str, Any]]:
    from . import gitrepo

    top = gitrepo.toplevel(root)
    inside = root.resolve().relative_to(top.resolve()).as_posix() if root.resolve() != top.resolve() else ""
    rels = [f"{inside}/{p}" if inside else p for p in (target.base_rel, target.env_rel)]
    manifest = _manifest_at(top, commit, rels)
    meta = manifest.get("metadata") or {}
    return {"labels": dict(meta.get("labels") or {}), "annotations": dict(meta.get("annotations") or {})}


def _manifest_at(top: Path, commit: str, rels: list[str]) -> dict[str, Any]:
    import yaml

    from ..errors import ToolFailed
    from . import gitrepo

    docs = []
    for rel in rels:
        try:
            data = yaml.safe_load(gitrepo.git(["show", f"{commit}:{rel}"], cwd=top))
        except (ToolFailed, yaml.YAMLError):
            data = None  # absent at that commit
        docs.append(data if isinstance(data, dict) else {})
    return merge_patch(docs[0], docs[1])


def _stable_at(top: Path, commit: str, rels: list[str], target: "_Target") -> Any:
    """The stable storageUri written at ``commit`` (the recorded stable one while a canary ran then)."""
    manifest = _manifest_at(top, commit, rels)
    if not manifest:
        return None
    # while a classic canary ran, the stable URI is the recorded one; a list canary leaves the predictor's
    return yamledit.get_in(manifest, STABLE) or yamledit.get_in(manifest, STORAGE_URI)


@contextlib.contextmanager
def outside_paths_of(root: Path):
    """While synthesizing a copy of ``root`` elsewhere (a temp folder, a git worktree), folders that
    kserve-gitops.yaml names relative to it (``charts.kserve``) still mean the real repo's."""
    from ..inputs.config import CHARTS_ENV, load_config

    if os.environ.get(CHARTS_ENV) or not (root / CONFIG_FILE).is_file():
        yield
        return
    try:
        charts = load_config(root / CONFIG_FILE).kserve_charts_dir
    except KserveGitopsError:
        charts = None
    if charts is None:
        yield
        return
    os.environ[CHARTS_ENV] = str(charts)
    try:
        yield
    finally:
        os.environ.pop(CHARTS_ENV, None)


def check_candidate(
    root: Path, edits: list[FileEdit], *, environments: list[str], validate: bool = True
) -> tuple[dict[str, bytes], Report | None]:
    """Synthesize (and validate) the repo with ``edits`` applied, in a temporary copy; returns the
    synthesized files and the report. Errors name the real files, not the copy."""
    with scratch_tree(purpose="check", copy_from=root, names=REPO_INPUTS, files={str(e.path): e.after for e in edits}) as copy_root:
        try:
            config, models = load_inputs(copy_root)
            with outside_paths_of(root):
                files = with_stamp(copy_root, synthesize(config, models))
            report = None
            if validate:
                write_tree(copy_root, files)
                # The repo's committed overlays are what the cluster runs: the edit is an UPDATE of them.
                options = ValidateOptions(
                    environments=environments,
                    schema_paths=default_crd_roots(root.resolve()),
                    chart_dirs=default_chart_dirs(root.resolve()),
                    base_objects=committed_objects(root, environments),
                )
                report = validate_repo(copy_root, options)
                _relocate(report, copy_root, root)
        except KserveGitopsError as exc:
            if exc.path:
                exc.path = _relocate_path(exc.path, copy_root, root)
            raise
    return files, report


def _relocate_path(path: str, copy_root: Path, root: Path) -> str:
    for prefix in (str(copy_root.resolve()), str(copy_root)):
        if path.startswith(prefix + os.sep):
            rel = path[len(prefix) + 1 :]
            return rel if root in (Path("."), Path("")) else str(root / rel)
    return path


def _relocate(report: Report, copy_root: Path, root: Path) -> None:
    for env in report.environments:
        env.findings = [dataclasses.replace(f, path=_relocate_path(f.path, copy_root, root)) for f in env.findings]


def write_edits(root: Path, edits: list[FileEdit], files: dict[str, bytes] | None) -> Drift | None:
    """Write the model files, then the synthesized output; if the output cannot be written, the model
    files are put back as they were."""
    done: list[FileEdit] = []
    try:
        for edit in edits:
            _write_file(root / edit.path, edit.after)
            done.append(edit)
        return write_tree(root, files) if files is not None else None
    except BaseException:
        for edit in reversed(done):
            _write_file(root / edit.path, edit.before)
        raise


def _write_file(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
        return
    write_text_atomic(path, text)
