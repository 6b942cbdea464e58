"""Objects in, findings out: build ``data.inventory``/``data.params``, evaluate in one batch, apply waivers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable, Iterable

from ...errors import PolicyError
from ...inputs.paths import display_path
from ...results import RULE_DESCRIPTIONS
from ...results import ERROR, WAIVED, EnvironmentResult, Finding, LoadedObject, ObjectRef, Report, sort_findings
from .bundle import EXCEPTIONS_FILE, PolicyBundle
from .engine import PolicyEngine, PolicyResult
from .waivers import WaiverSet, apply_waivers, load_waivers


def inventory(objects: Iterable[Any]) -> dict[str, Any]:
    """Gatekeeper's layout: ``namespace[ns][apiVersion][kind][name]`` and ``cluster[apiVersion][kind][name]``."""
    namespaced: dict[str, Any] = {}
    cluster: dict[str, Any] = {}
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        api, kind, name = obj.get("apiVersion"), obj.get("kind"), meta.get("name")
        if not (isinstance(api, str) and isinstance(kind, str) and isinstance(name, str)):
            continue
        ns = meta.get("namespace")
        tree = namespaced.setdefault(ns, {}) if isinstance(ns, str) and ns else cluster
        tree.setdefault(api, {}).setdefault(kind, {})[name] = obj
    return {"namespace": namespaced, "cluster": cluster}


def policy_data(objects: Iterable[Any], params: dict[str, Any] | None) -> dict[str, Any]:
    return {"inventory": inventory(objects), "params": params or {}}


def waivers_for(bundle: PolicyBundle) -> WaiverSet:
    waivers = WaiverSet()
    for root in bundle.roots:
        path = root / EXCEPTIONS_FILE
        if root.is_dir() and path.is_file():
            waivers.extend(load_waivers(display_path(path)))
    return waivers


def evaluate_objects(
    engine: PolicyEngine,
    objects: list[LoadedObject],
    *,
    params: dict[str, Any] | None,
    environment: str,
    waivers: WaiverSet | None = None,
    combine: bool = False,
    today: dt.date | None = None,
    refused_by_schema: Callable[[Any], bool] | None = None,
) -> list[Finding]:
    """Every finding for ``objects`` (one environment, or one set of files).

    A policy that fails at run time fails the run (exit 3), unless the object it failed on is one its schema
    refuses (``refused_by_schema``): the API server would never store it, the schema check reports it, and
    a rule reading ``spec.predictor.containers`` of a ``containers: null`` only fails on the shape."""
    from ..checks.base import finding_for

    engine.set_data(policy_data((o.data for o in objects), params))
    findings: list[Finding] = []
    if combine:
        # conftest --combine: one input, a list of {path, contents} with one entry per document
        results = engine.evaluate([[{"path": o.path, "contents": o.data} for o in objects]])[0]
        anchor = objects[0] if objects else None
        for result in results:
            findings.append(_combined_finding(result, anchor, environment, engine.name))
    else:
        try:
            per_object = engine.evaluate([o.data for o in objects])
        except PolicyError:
            if refused_by_schema is None:
                raise
            per_object = []
            for obj in objects:  # find the objects it fails on
                try:
                    per_object.append(engine.evaluate([obj.data])[0])
                except PolicyError as err:
                    if not refused_by_schema(obj.data):
                        raise
                    per_object.append([])
                    findings.append(finding_for(
                        obj, [], rule="policy-input", severity=ERROR, engine=f"policy:{engine.name}",
                        message=f"policies cannot judge this object, which its schema refuses: {err.message}",
                        hint="fix the schema findings of this object first",
                    ))
        for obj, results in zip(objects, per_object):
            for result in results:
                findings.append(
                    finding_for(
                        obj,
                        list(result.field),
                        rule=result.rule_id,
                        message=result.message,
                        severity=result.severity,
                        engine=f"policy:{engine.name}",
                    )
                )
    if waivers:
        findings = apply_waivers(findings, waivers, environment=environment, today=today)
    return findings


def disabled_findings(bundle: PolicyBundle, environment: str, namespaces: Iterable[str] | None = None) -> list[Finding]:
    """One ``waived`` finding per built-in package the repo disabled, so every report format lists them."""
    named = set(namespaces or ())
    out = []
    for package, (path, line, column) in sorted(bundle.disabled_at.items()):
        if package in named:
            continue  # named with --namespace: it ran
        out.append(
            Finding(
                rule="policy-disabled",
                message=f"built-in policy package {package} is disabled; its rules did not run",
                severity=WAIVED,
                path=path,
                line=line,
                column=column,
                json_path="disable",
                object=ObjectRef("", "", ""),
                environment=environment,
                engine="policy",
                hint=f"remove {package} from 'disable' to run it again",
            )
        )
    return out


def _combined_finding(result: PolicyResult, anchor: LoadedObject | None, environment: str, engine: str) -> Finding:
    return Finding(
        rule=result.rule_id,
        message=result.message,
        severity=result.severity,
        path=anchor.path if anchor else "",
        line=0,
        object=ObjectRef("", "", ""),
        environment=environment,
        engine=f"policy:{engine}",
    )


def evaluate_paths(
    paths: list[str],
    *,
    policy_dirs: list[Path],
    namespaces: list[str] | None = None,
    engine: str = "regorus",
    opa_url: str | None = None,
    combine: bool = False,
    fail_on_warn: bool = False,
    root: Path = Path("."),
    environment: str | None = None,
    stdin: Any = None,
    today: dt.date | None = None,
    builtin: bool = True,
) -> Report:
    """``policy eval``: the policies over files (conftest test), with ``-e ENV`` supplying data.params."""
    from ...inputs.config import CONFIG_FILE, load_config
    from ..inputs import load_paths
    from . import make_engine
    from .bundle import load_policies

    params: dict[str, Any] = {}
    if environment:
        params = load_config(root / CONFIG_FILE).environment(environment).params()
    loaded = load_paths(paths, stdin=stdin)
    for obj in loaded.objects:
        obj.environment = environment
    bundle = load_policies(policy_dirs, builtin=builtin)
    name = environment or "files"
    with make_engine(engine, bundle, namespaces, opa_url=opa_url, combine=combine) as policy_engine:
        findings = evaluate_objects(
            policy_engine,
            loaded.objects,
            params=params,
            environment=name,
            waivers=waivers_for(bundle),
            combine=combine,
            today=today,
        )
    findings += disabled_findings(bundle, name, namespaces)
    result = EnvironmentResult(name=name, objects=len(loaded.objects), findings=sort_findings(findings))
    return Report(environments=[result], fail_on_warn=fail_on_warn, rules=dict(RULE_DESCRIPTIONS))
