"""``migrate``: legacy InferenceServices rewritten in the current v1beta1 form, comments kept.

What is legacy:

* ``apiVersion: serving.kubeflow.org/v1alpha2`` (and the other pre-KServe or v1alpha2 group versions);
* v1alpha2's ``spec.default.{predictor,transformer,explainer}`` (the components move up to ``spec``);
* the ``spec.canary`` object form with ``spec.canaryTrafficPercent`` from the v1alpha2 docs;
* ``canaryTrafficPercent`` at ``spec`` level (it belongs on the component);
* per-framework predictors such as ``predictor.pytorch`` / ``predictor.sklearn`` (now ``predictor.model`` with
  ``modelFormat.name``), v1alpha2's ``custom.container`` (now ``containers``) and ``parallelism``
  (now ``containerConcurrency``);
* the deployment mode names KServe v0.16 replaced, in the ``serving.kserve.io/deploymentMode`` annotation:
  ``Serverless`` is now ``Knative``, ``RawDeployment`` is ``Standard``. synth writes every environment's
  annotation under the name its KServe release knows (the old names for v0.14.1), so the file's new name is
  safe on every version.

A legacy canary becomes, by ``canary_form``: ``revision`` (the canary's predictor with
``canaryTrafficPercent``, the stable storageUri recorded in the ``kserve-gitops.io/stable-storage-uri``
annotation; KServe's canary in Knative mode, on every version) or ``list`` (``spec.canary: [{trafficPercent,
predictor}]`` with a named predictor; KServe v0.20.0+ in Standard mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import ModelError, UsageError
from ..inputs import modes
from ..inputs.models import ISVC_API_VERSION
from . import yamledit
from .lifecycle import DEFAULT_CONTAINER, STABLE_ANNOTATION, FileEdit, _plain, _write_file, canary_predictor_name

CANARY_FORMS = ("revision", "list")
LEGACY_API_VERSIONS = frozenset(
    {"serving.kubeflow.org/v1alpha2", "serving.kubeflow.org/v1beta1", "serving.kserve.io/v1alpha2", "serving.kserve.io/v1alpha1"}
)
# Framework keys of the per-framework predictor specs and the modelFormat name each becomes.
FRAMEWORKS = {
    "sklearn": "sklearn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "tensorflow": "tensorflow",
    "pytorch": "pytorch",
    "triton": "triton",
    "onnx": "onnx",
    "pmml": "pmml",
    "paddle": "paddle",
    "huggingface": "huggingface",
}
COMPONENTS = ("predictor", "transformer", "explainer")
DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"


@dataclass
class Change:
    edit: FileEdit
    notes: list[str] = field(default_factory=list)


@dataclass
class MigrateResult:
    scanned: int
    changes: list[Change]


def migrate_path(path: Path, *, canary_form: str = "revision", write: bool = True) -> MigrateResult:
    """Migrate one file or every ``*.yaml``/``*.yml`` under a folder. Nothing is written unless every
    file could be read and migrated."""
    if canary_form not in CANARY_FORMS:
        raise UsageError(f"unknown canary form {canary_form!r} (choose: {', '.join(CANARY_FORMS)})")
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
    elif path.is_file():
        files = [path]
    else:
        raise UsageError("no such file or folder", path=str(path))
    changes = []
    for file in files:
        display = file.as_posix()
        text = file.read_text(encoding="utf-8")
        notes: list[str] = []
        new_text = migrate_text(text, path=display, canary_form=canary_form, notes=notes)
        if new_text != text:
            changes.append(Change(FileEdit(display, text, new_text), notes))
    if write:
        for change in changes:
            _write_file(Path(change.edit.path), change.edit.after)
    return MigrateResult(scanned=len(files), changes=changes)


def migrate_text(text: str, *, path: str, canary_form: str = "revision", notes: list[str] | None = None) -> str:
    """The migrated text of one single-document file (unchanged when nothing is legacy)."""
    doc = yamledit.parse(text, path=path)
    if not isinstance(doc.data, CommentedMap):
        return text
    notes = notes if notes is not None else []
    migrate_document(doc.data, path=path, canary_form=canary_form, notes=notes, indent=doc.indent)
    if not doc.changed:
        return text
    migrated = doc.dump()
    # A comment written where a rewritten block began can lose its anchor in ruamel's tree; never drop it:
    # such comments are kept at the top of the file, said to be moved.
    lost = [c for c in _comment_texts(_node_tokens(yamledit.parse(text, path=path).data)) if c not in migrated]
    if lost:
        notes.append(f"{len(lost)} comment(s) moved to the top of the file: their blocks were rewritten")
        header = "# Comments kept by 'kserve-gitops migrate' from blocks it rewrote:\n" + "".join(f"#   {c}\n" for c in lost)
        migrated = header + migrated
    return migrated


def migrate_document(
    data: CommentedMap, *, path: str, canary_form: str, notes: list[str], indent: tuple[int, int, int] = yamledit.NEW_FILE_INDENT
) -> None:
    mapping, sequence = indent[0], indent[1]
    if data.get("kind") not in (None, "InferenceService"):
        return  # e.g. an LLMInferenceService, whose current version is serving.kserve.io/v1alpha2
    if data.get("apiVersion") in LEGACY_API_VERSIONS:
        yamledit.set_in(data, ["apiVersion"], ISVC_API_VERSION)
    _migrate_mode_annotation(data, notes)
    spec = data.get("spec")
    if not isinstance(spec, CommentedMap):
        return
    default = spec.get("default")
    if isinstance(default, CommentedMap):
        _replace_key(spec, "default", [(k, v) for k, v in default.items()], comment_from=default, shift=-mapping)
    for component in COMPONENTS:
        if isinstance(spec.get(component), CommentedMap):
            _migrate_component(spec[component], component, path=path, shift=sequence - 2 * mapping)
    canary = spec.get("canary")
    if isinstance(canary, CommentedMap):
        _migrate_canary_object(data, spec, canary, path=path, canary_form=canary_form, notes=notes, indent=indent)
    elif isinstance(canary, list):
        for entry in canary:
            if isinstance(entry, CommentedMap) and isinstance(entry.get("predictor"), CommentedMap):
                _migrate_component(entry["predictor"], "predictor", path=path, shift=sequence - 2 * mapping)
    if "canaryTrafficPercent" in spec:
        # Spec-level traffic with no canary object: it belongs on the predictor.
        percent = spec["canaryTrafficPercent"]
        yamledit.delete_in(spec, ["canaryTrafficPercent"])
        if isinstance(spec.get("predictor"), CommentedMap):
            spec["predictor"].insert(0, "canaryTrafficPercent", percent)


def _migrate_mode_annotation(data: CommentedMap, notes: list[str]) -> None:
    mode = yamledit.get_in(data, ["metadata", "annotations", DEPLOYMENT_MODE_ANNOTATION])
    if isinstance(mode, str) and mode in modes.CURRENT_NAME:
        new = modes.CURRENT_NAME[mode]
        yamledit.set_in(data, ["metadata", "annotations", DEPLOYMENT_MODE_ANNOTATION], new)
        notes.append(f"{DEPLOYMENT_MODE_ANNOTATION}: {mode} is {new} since KServe v0.16 (synth writes the name each environment's release knows)")


def _migrate_component(component: CommentedMap, kind: str, *, path: str, shift: int = 0) -> None:
    """Per-framework spec → model; ``shift`` is how far a custom container moves becoming a list item."""
    frameworks = [key for key in component if key in FRAMEWORKS]
    if kind == "predictor" and frameworks:
        if len(frameworks) > 1 or "model" in component:
            raise ModelError(
                f"the predictor names several model specs ({', '.join(frameworks + (['model'] if 'model' in component else []))})",
                path=path,
                field="spec.predictor",
                hint="a predictor serves one model; keep one and run migrate again",
            )
        framework = frameworks[0]
        spec = component[framework]
        if not isinstance(spec, CommentedMap):
            spec = CommentedMap()
        model_format = CommentedMap(name=FRAMEWORKS[framework])
        spec.insert(0, "modelFormat", model_format)
        _replace_key(component, framework, [("model", spec)])
    custom = component.get("custom")
    if isinstance(custom, CommentedMap) and isinstance(custom.get("container"), CommentedMap):
        shift_comments(custom["container"], shift)
        _replace_key(component, "custom", [("containers", CommentedSeq([custom["container"]]))])
    if "parallelism" in component and "containerConcurrency" not in component:
        _replace_key(component, "parallelism", [("containerConcurrency", component["parallelism"])])


def _migrate_canary_object(
    data: CommentedMap,
    spec: CommentedMap,
    canary: CommentedMap,
    *,
    path: str,
    canary_form: str,
    notes: list[str],
    indent: tuple[int, int, int],
) -> None:
    mapping, sequence = indent[0], indent[1]
    percent = spec.get("canaryTrafficPercent")
    if percent is None:
        percent = 0
        notes.append("spec.canary had no canaryTrafficPercent; the canary gets 0% of traffic")
    for component in COMPONENTS:
        if isinstance(canary.get(component), CommentedMap):
            _migrate_component(canary[component], component, path=path, shift=sequence - 2 * mapping)
    if canary_form == "list":
        others = [c for c in canary if c != "predictor"]
        if others:
            raise ModelError(
                f"the legacy canary also replaces {', '.join(others)}, which the list-form spec.canary cannot express",
                path=path,
                field="spec.canary",
                hint="migrate with --canary-form revision",
            )
        predictor = canary.get("predictor") or CommentedMap()
        key_comment = canary.ca.items.get("predictor")
        shift_comments(predictor, sequence - mapping, key_comment)
        # What KServe v0.20.0 requires of a list-form canary: a named predictor (its webhook) and a
        # container name on its model (its CRD).
        if "name" not in predictor:
            stable_name = yamledit.get_in(spec, ["predictor", "name"])
            uri = yamledit.get_in(predictor, ["model", "storageUri"])
            predictor.insert(0, "name", canary_predictor_name(str(data.get("metadata", {}).get("name") or ""), uri, stable_name))
        if isinstance(predictor.get("model"), CommentedMap) and "name" not in predictor["model"]:
            predictor["model"].insert(0, "name", DEFAULT_CONTAINER)
        entry = CommentedMap(trafficPercent=percent, predictor=predictor)
        if key_comment:
            entry.ca.items["predictor"] = key_comment
        _replace_key(spec, "canary", [("canary", CommentedSeq([entry]))])
        yamledit.delete_in(spec, ["canaryTrafficPercent"])
        return
    stable_uri = yamledit.get_in(spec, ["predictor", "model", "storageUri"])
    canary_predictor = canary.get("predictor")
    if isinstance(canary_predictor, CommentedMap) and isinstance(spec.get("predictor"), CommentedMap):
        differs = _differences(_plain(spec["predictor"]), _plain(canary_predictor))
        extra = [d for d in differs if d != "model.storageUri"]
        if extra:
            notes.append(
                "the stable predictor differed from the canary in " + ", ".join(extra)
                + "; KServe keeps the previous revision running, but git now records only its storageUri"
            )
    dropped: list[str] = []  # comments of the stable components the canary replaces
    for component in COMPONENTS:
        if isinstance(canary.get(component), CommentedMap):
            dropped += _comment_texts(_node_tokens(spec.get(component)) + _tokens(spec.ca.items.get(component)))
            new = canary[component]
            key_comment = canary.ca.items.get(component)
            shift_comments(new, -mapping, key_comment)
            new.insert(0, "canaryTrafficPercent", percent)
            if component in spec:
                spec[component] = new
            else:
                spec.insert(list(spec).index("canary"), component, new)
            # The replaced component's comments go with it; the canary's come along.
            spec.ca.items.pop(component, None)
            if key_comment:
                spec.ca.items[component] = key_comment
    yamledit.delete_in(spec, ["canary"])
    yamledit.delete_in(spec, ["canaryTrafficPercent"])
    if stable_uri:
        yamledit.set_in(data, ["metadata", "annotations", STABLE_ANNOTATION], str(stable_uri))
        if dropped:
            # The stable predictor now lives only in this annotation: its comments go with it.
            annotations = data["metadata"]["annotations"]
            annotations.yaml_add_eol_comment("# " + "; ".join(dropped), STABLE_ANNOTATION)
    elif dropped:
        notes.append("comments of the replaced stable predictor were dropped with it: " + "; ".join(dropped))


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _differences(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else key)
        return out
    return [] if a == b else [prefix]


def _replace_key(
    mapping: CommentedMap, key: str, items: list[tuple[str, Any]], *, comment_from: CommentedMap | None = None, shift: int = 0
) -> None:
    """Put ``items`` where ``key`` was, keeping the comment written on ``key``'s line; moved values and
    their comments are re-indented by ``shift`` columns."""
    position = list(mapping).index(key)
    comment = mapping.ca.items.pop(key, None)
    del mapping[key]
    for offset, (new_key, value) in enumerate(items):
        key_comment = comment_from.ca.items.get(new_key) if comment_from is not None else None
        shift_comments(value, shift, key_comment)
        mapping.insert(position + offset, new_key, value)
        if key_comment:
            mapping.ca.items[new_key] = key_comment
    if comment and items:
        mapping.ca.items.setdefault(items[0][0], comment)


def _comment_texts(tokens: list[Any]) -> list[str]:
    texts = []
    for token in {id(t): t for t in tokens}.values():
        for line in str(token.value).splitlines():
            text = line.strip().lstrip("#").strip()
            if text and text not in texts:
                texts.append(text)
    return texts


def _tokens(entry: Any) -> list[Any]:
    """Every comment token in a ruamel comment slot (tokens, lists of tokens, None)."""
    if entry is None:
        return []
    if isinstance(entry, list):
        return [tok for item in entry for tok in _tokens(item)]
    return [entry] if hasattr(entry, "column") else []


def _node_tokens(node: Any) -> list[Any]:
    if not isinstance(node, (CommentedMap, CommentedSeq)):
        return []
    out = _tokens(node.ca.comment) + _tokens(list(node.ca.items.values())) + _tokens(getattr(node.ca, "end", None))
    for child in node.values() if isinstance(node, CommentedMap) else node:
        out += _node_tokens(child)
    return out


def _shift(tokens: list[Any], shift: int) -> None:
    # ruamel may hold one token in two slots (a key's comment and its value's first comment): move it once.
    for token in {id(t): t for t in tokens}.values():
        token.column = max(0, token.column + shift)


def shift_comments(node: Any, shift: int, *entries: Any) -> None:
    """Move every comment inside ``node`` (and in ``entries``, comment slots that travel with it) by
    ``shift`` columns: the node moved up or down a level."""
    if shift:
        _shift(_node_tokens(node) + _tokens(list(entries)), shift)


