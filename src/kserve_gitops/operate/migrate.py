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
    mapping = indent[0]
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
        _replace_key(
            spec, "default", [(k, v) for k, v in default.items()], comment_from=default, shift=-mapping, column=default.lc.col
        )
    for component in COMPONENTS:
        if isinstance(spec.get(component), CommentedMap):
            _migrate_component(spec[component], component, path=path, indent=indent)
    canary = spec.get("canary")
    if isinstance(canary, CommentedMap):
        _migrate_canary_object(data, spec, canary, path=path, canary_form=canary_form, notes=notes, indent=indent)
    elif isinstance(canary, list):
        for entry in canary:
            if isinstance(entry, CommentedMap) and isinstance(entry.get("predictor"), CommentedMap):
                _migrate_component(entry["predictor"], "predictor", path=path, indent=indent)
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


def _migrate_component(
    component: CommentedMap, kind: str, *, path: str, indent: tuple[int, int, int] = yamledit.NEW_FILE_INDENT
) -> None:
    """Per-framework spec → model, ``custom.container`` → ``containers``, ``parallelism`` → ``containerConcurrency``."""
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
        _migrate_custom(component, custom, indent)
    if "parallelism" in component and "containerConcurrency" not in component:
        _replace_key(component, "parallelism", [("containerConcurrency", component["parallelism"])])


def _migrate_custom(component: CommentedMap, custom: CommentedMap, indent: tuple[int, int, int]) -> None:
    """``custom: {container: {...}}`` → ``containers: [{...}]``: the container's keys move by ``sequence -
    2 * mapping`` columns; what was written before its first key goes before the list item's dash, and the
    comment on the ``container:`` line onto the ``containers:`` line."""
    mapping, sequence, offset = indent
    container, column = custom["container"], custom.lc.col
    head = container.ca.comment
    # A flow-style container ({...}) stays on one line: the comment after it stays there too.
    line_comment = head[0] if head and not container.fa.flow_style() else None
    gap = line_comment.column - column - len("container:") if line_comment is not None else 0
    shift_comments(container, sequence - 2 * mapping, column=column)
    to_dash = offset - sequence  # from the item's keys to its dash
    if line_comment is not None:
        head[0] = None  # left there, ruamel writes it after the dash, the keys on the next line
        _reindent(line_comment, to_dash, column)
        line_comment.column = (component.lc.col or 0) + len("containers:") + gap  # as far after the key as it was
    if head and head[1]:
        _shift(head[1], to_dash, column)
    custom_comment = component.ca.items.get("custom")
    if custom_comment and len(custom_comment) > 2 and custom_comment[2] is not None:
        _reindent(custom_comment[2], offset - mapping, column)  # lines under custom: go before the dash
    _replace_key(component, "custom", [("containers", CommentedSeq([container]))])
    if line_comment is None:
        return
    # The custom: line's comment, when there is one, stays on containers: (_replace_key); this one follows it.
    entry = component.ca.items.setdefault("containers", [None, None, None, None])
    if entry[2] is None:
        entry[2] = line_comment
    else:
        dash = (component.lc.col or 0) + offset
        entry[2].value = entry[2].value.rstrip("\n") + "\n" + " " * dash + line_comment.value


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
            _migrate_component(canary[component], component, path=path, indent=indent)
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
        shift_comments(predictor, sequence - mapping, key_comment, column=canary.lc.col)
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
            shift_comments(new, -mapping, key_comment, column=canary.lc.col)
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
        # A new metadata goes where KServe's docs write it: after kind, before spec.
        yamledit.set_in(data, ["metadata", "annotations", STABLE_ANNOTATION], str(stable_uri), before="spec")
        if dropped:
            # The stable predictor now lives only in this annotation: its comments go with it.
            _add_line_comment(data["metadata"]["annotations"], STABLE_ANNOTATION, "# " + "; ".join(dropped))
    elif dropped:
        notes.append("comments of the replaced stable predictor were dropped with it: " + "; ".join(dropped))


def _add_line_comment(mapping: CommentedMap, key: Any, text: str) -> None:
    """An end-of-line comment on ``key`` that keeps the comment lines already held after it (see set_in)."""
    entry = mapping.ca.items.get(key)
    old = entry[2] if entry and len(entry) > 2 else None
    following = old.value if old is not None and old.value.startswith("\n") else ""
    mapping.yaml_add_eol_comment(text, key)
    if following:
        token = mapping.ca.items[key][2]
        token.value = token.value.rstrip("\n") + following


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            out += _differences(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else key)
        return out
    return [] if a == b else [prefix]


def _replace_key(
    mapping: CommentedMap,
    key: str,
    items: list[tuple[str, Any]],
    *,
    comment_from: CommentedMap | None = None,
    shift: int = 0,
    column: int | None = None,
) -> None:
    """Put ``items`` where ``key`` was, keeping the comment written on ``key``'s line; moved values and
    their comments are re-indented by ``shift`` columns (``column``: see shift_comments)."""
    position = list(mapping).index(key)
    comment = mapping.ca.items.pop(key, None)
    del mapping[key]
    for offset, (new_key, value) in enumerate(items):
        key_comment = comment_from.ca.items.get(new_key) if comment_from is not None else None
        shift_comments(value, shift, key_comment, column=column)
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


def _shift(tokens: list[Any], shift: int, column: int | None = None) -> None:
    # ruamel may hold one token in two slots (a key's comment and its value's first comment): move it once.
    for token in {id(t): t for t in tokens}.values():
        token.column = max(0, token.column + shift)
        if column is not None:
            _reindent(token, shift, column)


def _reindent(token: Any, shift: int, column: int) -> None:
    """Move the comment lines a token holds after its first line (ruamel keeps the lines that follow a
    line's comment in that line's token, their indentation as text) when indented ``column`` or more."""
    lines = str(token.value).split("\n")
    for i, line in enumerate(lines[1:], start=1):
        text = line.lstrip(" ")
        if text.startswith("#") and len(line) - len(text) >= column:
            lines[i] = " " * max(0, len(line) - len(text) + shift) + text
    token.value = "\n".join(lines)


def shift_comments(node: Any, shift: int, *entries: Any, column: int | None = None) -> None:
    """Move every comment inside ``node`` (and in ``entries``, comment slots that travel with it) by
    ``shift`` columns: the node moved up or down a level. ``column`` is where the node's key stood: the
    comment lines under it indented that far are in the block, and move; those less indented belong to
    what follows the block, which stays."""
    if shift:
        _shift(_node_tokens(node) + _tokens(list(entries)), shift, column)


