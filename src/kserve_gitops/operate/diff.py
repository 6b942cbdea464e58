"""``diff``: what a change does to every environment, rendered object by object.

Both sides are built the same way from their inputs (``kserve-gitops.yaml`` and ``models/``): the base ref is
checked out in a temporary ``git worktree``, synthesized into a scratch folder and rendered with kustomize;
the working tree likewise (its committed ``charts/`` and ``overlays/`` are not touched). Objects are matched
by (group, kind, namespace, name). A semantic summary leads, e.g. ``prod: sklearn-iris canary 10% → 50%``;
a summary line that holds in every environment is reported once as ``all: ...``.

The result is data (``results.DiffResult``); ``report/diff.py`` turns it into text or markdown.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any


from ..constructs.install import install_summary
from ..inputs.config import CONFIG_FILE, load_config
from ..render.kustomize import find_renderer, render_many
from ..validate.admission import review
from ..results import DiffResult, EnvironmentDiff, ObjectChange, ObjectKey
from ..validate.run import crd_library
from ..validate.base import index_stream as index_objects
from ..synth.app import load_inputs, synthesize
from ..inputs.merge import dig
from ..synth.output import dump_yaml
from ..synth.scratch import scratch_tree
from . import gitrepo

GPU_KEYS = ("nvidia.com/gpu", "amd.com/gpu")
RUNTIME_KINDS = ("ClusterServingRuntime", "ServingRuntime")
CONTROL_PLANES = ("argocd", "automation")  # overlays/<name> that are not environments


# --- building both sides -----------------------------------------------------------------------------


def diff_repo(root: Path, *, base: str = "HEAD", admission: bool = True) -> DiffResult:
    top = gitrepo.toplevel(root)
    commit = gitrepo.resolve(base, cwd=top)
    inside = root.resolve().relative_to(top.resolve()) if root.resolve() != top.resolve() else Path(".")
    from .lifecycle import outside_paths_of

    with gitrepo.worktree(commit, cwd=top) as tree:
        base_root = tree / inside
        if not (base_root / CONFIG_FILE).exists():
            before: dict[str, dict[ObjectKey, dict[str, Any]]] = {}
        else:
            with outside_paths_of(root):  # the base's charts.kserve is read beside the working tree
                before = render_inputs(base_root)
    after = render_inputs(root)
    result = compare(before, after, base_ref=base, base_commit=commit)
    if admission and result.changed:
        add_admission_verdicts(root, result, before, after)
    return result


def add_admission_verdicts(root: Path, result: DiffResult, before: dict, after: dict) -> None:
    """Each environment's added and changed objects through its KServe release's admission chain, as the
    cluster would see them (changed objects as UPDATEs): refusals and warnings lead the summary."""
    config = load_config(root / CONFIG_FILE)
    library = crd_library(root)
    lines = []
    for env_diff in result.environments:
        if not env_diff.changes or env_diff.name not in config.environments:
            continue
        env = config.environment(env_diff.name)
        verdicts = review(after.get(env.name, {}), before.get(env.name, {}), environment=env, crd_files=library.crd_files(env.kserve_version))
        for key, verdict in verdicts:
            word = "refuses" if verdict.severity == "error" else "warns on"
            line = f"{env.name}: KServe {env.kserve_version} {word} {ObjectChange('changed', key).label} ({verdict.operation}, {verdict.rule}): {verdict.message}"
            env_diff.admission.append(line)
            lines.append(line)
    result.summary[:0] = lines


def render_inputs(root: Path) -> dict[str, dict[ObjectKey, dict[str, Any]]]:
    """Synthesize ``root``'s inputs into a scratch folder and render every environment: env → objects."""
    config, models = load_inputs(root)
    files = synthesize(config, models)
    with scratch_tree(purpose="diff", files=files) as out:
        envs = [env.name for env in config.select(None)]
        # the control plane (the ArgoCD hub's objects, Argo Workflows templates) is diffed as rows of its own
        envs += [name for name in CONTROL_PLANES if f"overlays/{name}/kustomization.yaml" in files]
        rendered = render_many({env: out / "overlays" / env for env in envs}, renderer=find_renderer())
    return {env: index_objects(rendered[env]) for env in envs}


# --- comparing ---------------------------------------------------------------------------------------


def compare(
    before: dict[str, dict[ObjectKey, dict[str, Any]]],
    after: dict[str, dict[ObjectKey, dict[str, Any]]],
    *,
    base_ref: str = "HEAD",
    base_commit: str = "",
) -> DiffResult:
    environments = []
    order = list(after) + [env for env in before if env not in after]
    for env in order:
        old, new = before.get(env, {}), after.get(env, {})
        result = EnvironmentDiff(env)
        if env not in before:
            result.status = "added"
            result.summary.append("new environment")
        elif env not in after:
            result.status = "removed"
            result.summary.append("environment removed")
        for key in sorted(set(old) | set(new)):
            if key not in old:
                result.changes.append(ObjectChange("added", key, _unified(None, new[key], key)))
            elif key not in new:
                result.changes.append(ObjectChange("removed", key, _unified(old[key], None, key)))
            elif dump_yaml(old[key]) != dump_yaml(new[key]):
                result.changes.append(ObjectChange("changed", key, _unified(old[key], new[key], key)))
        if result.status == "changed":
            result.summary.extend(summarize(old, new))
        environments.append(result)
    return DiffResult(base_ref=base_ref, base_commit=base_commit, environments=environments, summary=_collapse(environments))


def _unified(old: dict[str, Any] | None, new: dict[str, Any] | None, key: ObjectKey) -> str:
    a = dump_yaml(old).splitlines(keepends=True) if old is not None else []
    b = dump_yaml(new).splitlines(keepends=True) if new is not None else []
    name = ObjectChange("changed", key).label
    return "".join(difflib.unified_diff(a, b, f"a/{name}" if old is not None else "/dev/null", f"b/{name}" if new is not None else "/dev/null"))


def _collapse(environments: list[EnvironmentDiff]) -> list[str]:
    """Per-environment summary lines, with a line that holds in every environment reported once as ``all``."""
    compared = [env for env in environments if env.status == "changed" and env.name not in CONTROL_PLANES]
    common: list[str] = []
    if len(compared) > 1:
        common = [line for line in compared[0].summary if all(line in env.summary for env in compared[1:])]
    lines = [f"all: {line}" for line in common]
    for env in environments:
        for line in env.summary:
            if env.status != "changed" or line not in common:
                lines.append(f"{env.name}: {line}")
    return lines


def summarize(old: dict[ObjectKey, dict[str, Any]], new: dict[ObjectKey, dict[str, Any]]) -> list[str]:
    """What a reviewer reads first: model-level statements, then the rest by kind."""
    # A rendered KServe install (install.render) reads as one line: controller images, CRDs, webhooks.
    lines, install_keys = install_summary(old, new)
    for key in sorted(set(old) | set(new)):
        if key in install_keys:
            continue
        a, b = old.get(key), new.get(key)
        if a is not None and b is not None and dump_yaml(a) == dump_yaml(b):
            continue
        kind, name = key[1], key[3]
        if kind == "InferenceService":
            lines.extend(_isvc_summary(name, a, b))
        elif kind == "ApplicationSet" and a is not None and b is not None and _sync_by_env(a) != _sync_by_env(b):
            old_sync, new_sync = _sync_by_env(a), _sync_by_env(b)
            for env in sorted(set(old_sync) | set(new_sync)):
                if env in old_sync and env in new_sync and old_sync[env] != new_sync[env]:
                    lines.append(f"ApplicationSet {name} automated sync turned {'on' if new_sync[env] else 'off'} for {env}")
            rest = [p for p in _changed_paths(a, b) if not p.startswith("spec.generators")]
            if rest:
                lines.append(f"ApplicationSet {name} changed ({', '.join(rest[:3])})")
        elif kind == "Application" and a is not None and b is not None and _automated(a) != _automated(b):
            lines.append(f"Application {name} automated sync turned {'on' if _automated(b) else 'off'}")
        elif kind in RUNTIME_KINDS and a is not None and b is not None:
            if _images(a) != _images(b):
                lines.append("runtime image changed")
            else:
                lines.append(f"{kind} {name} changed")
        elif a is None:
            lines.append(f"new {kind} {name}")
        elif b is None:
            lines.append(f"removed {kind} {name}")
        else:
            lines.append(f"{kind} {name} changed ({', '.join(_changed_paths(a, b)[:3])})")
    # One line per statement, first occurrence first (several runtimes changing read as one line).
    return list(dict.fromkeys(lines))


def _isvc_summary(name: str, a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    if a is None:
        return [f"new model {name} ({describe_model(b or {})})"]
    if b is None:
        return [f"removed model {name}"]
    lines: list[str] = []
    old_canary, new_canary = canary_of(a), canary_of(b)
    old_uri, new_uri = storage_uri(a), storage_uri(b)
    if old_canary and new_canary:
        if old_canary[1] != new_canary[1]:
            lines.append(f"{name} canary now {new_canary[1]} at {new_canary[0]}%")
        elif old_canary[0] != new_canary[0]:
            lines.append(f"{name} canary {old_canary[0]}% → {new_canary[0]}%")
    elif new_canary:
        lines.append(f"{name} canary {new_canary[1]} started at {new_canary[0]}%")
    elif old_canary:
        if new_uri == old_canary[1]:
            lines.append(f"{name} canary {old_canary[1]} promoted")
        else:
            lines.append(f"{name} canary {old_canary[1]} rolled back (serving {new_uri})")
    if not (old_canary or new_canary) and old_uri != new_uri:
        lines.append(f"{name} model {old_uri} → {new_uri}")
    handled = {"spec.predictor.canaryTrafficPercent", "spec.canary", "spec.predictor.model.storageUri", "metadata.annotations.kserve-gitops.io/stable-storage-uri"}
    rest = [p for p in _changed_paths(a, b) if not any(p == h or p.startswith(h + ".") or p.startswith(h + "[") for h in handled)]
    if rest:
        shown = [_change_text(path, a, b) for path in rest[:3]]
        lines.append(f"{name} changed: {', '.join(shown)}{' …' if len(rest) > 3 else ''}")
    return lines


def _change_text(path: str, a: dict[str, Any], b: dict[str, Any]) -> str:
    old, new = _at(a, path), _at(b, path)
    scalar = (str, int, float, bool)
    if isinstance(old, scalar) and isinstance(new, scalar):
        return f"{path} {old} → {new}"
    return path


def _at(obj: Any, dotted: str) -> Any:
    """The value at a path from ``_changed_paths`` (keys joined with dots; keys may hold dots themselves)."""
    if dotted == "" or not isinstance(obj, dict):
        return obj if dotted == "" else None
    for key in sorted(obj, key=lambda k: -len(str(k))):
        text = str(key)
        if dotted == text:
            return obj[key]
        if dotted.startswith(text + "."):
            return _at(obj[key], dotted[len(text) + 1 :])
    return None


def describe_model(isvc: dict[str, Any]) -> str:
    predictor = dig(isvc, "spec", "predictor") or {}
    model = predictor.get("model") if isinstance(predictor.get("model"), dict) else None
    fmt = dig(model or {}, "modelFormat", "name")
    if not fmt:
        fmt = "custom container" if predictor.get("containers") else next((k for k in predictor if isinstance(predictor[k], dict) and "storageUri" in predictor[k]), "model")
    gpus = gpu_count(predictor)
    parts = [str(fmt)]
    if gpus:
        parts.append(f"{gpus} GPU" if gpus == 1 else f"{gpus} GPUs")
    return ", ".join(parts)


def gpu_count(predictor: dict[str, Any]) -> int:
    total = 0
    specs = [v for v in predictor.values() if isinstance(v, dict)] + [c for c in predictor.get("containers") or [] if isinstance(c, dict)]
    for spec in specs:
        limits = dig(spec, "resources", "limits") or {}
        for key in GPU_KEYS:
            try:
                total += int(str(limits.get(key, 0)))
            except ValueError:
                pass
    return total


def storage_uri(isvc: dict[str, Any]) -> str | None:
    return dig(isvc, "spec", "predictor", "model", "storageUri")


def canary_of(isvc: dict[str, Any]) -> tuple[Any, Any] | None:
    """(percent, storageUri) of the canary in either form, or None."""
    entries = dig(isvc, "spec", "canary")
    if isinstance(entries, list) and entries and isinstance(entries[0], dict):
        return entries[0].get("trafficPercent"), dig(entries[0], "predictor", "model", "storageUri")
    percent = dig(isvc, "spec", "predictor", "canaryTrafficPercent")
    if percent is not None:
        return percent, storage_uri(isvc)
    return None


def _sync_by_env(appset: dict[str, Any]) -> dict[str, bool]:
    """env → automatedSync of an ApplicationSet's list generators (kserve-gitops' environments set)."""
    out: dict[str, bool] = {}
    for generator in dig(appset, "spec", "generators") or []:
        for element in dig(generator, "list", "elements") or [] if isinstance(generator, dict) else []:
            if isinstance(element, dict) and "env" in element:
                out[str(element["env"])] = bool(element.get("automatedSync"))
    return out


def _automated(app: dict[str, Any]) -> bool:
    return dig(app, "spec", "syncPolicy", "automated") is not None


def _images(obj: dict[str, Any]) -> list[str]:
    return [str(c.get("image")) for c in dig(obj, "spec", "containers") or [] if isinstance(c, dict)]


def _changed_paths(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key) != b.get(key):
                out += _changed_paths(a.get(key), b.get(key), f"{prefix}.{key}" if prefix else str(key))
        return out
    return [prefix] if a != b else []
