"""The admission stage as a check: each environment's objects through its KServe release's webhooks and the
API server's CRD validation (validate/admission.py drives the helper)."""

from __future__ import annotations

from typing import Iterable

from ...results import Finding, LoadedObject
from ..admission import KSERVE_GROUP, admit, finding_hint, helper_releases, host_label_findings, locate_verdict, wanted
from ..base import object_key
from ..schemas import crd_json_copy
from .base import CheckContext, finding_for


def admission_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    options = ctx.options
    if not options.admission:
        return
    env = ctx.environment
    version = options.kserve_version or (env.kserve_version if env else None) or options.admission_kserve_version
    crd_kinds = set(ctx.schema_set.crd_keys()) if ctx.schema_set is not None else set()
    sent = [obj for obj in objects if wanted(obj.data, crd_kinds)]
    if not sent:
        return
    if version is None:
        # Nothing names the cluster's release (files outside a repo, no -e or --kserve-version): the
        # newest release we pin; the hint of every finding names it.
        version = helper_releases()[-1]
    origins = set()
    if ctx.schema_set is not None:
        for obj in sent:
            origin = ctx.schema_set.crd_origin(obj.data["apiVersion"], obj.data["kind"])
            if origin is not None:
                origins.add(origin)
    crd_files = [crd_json_copy(path) for path in sorted(origins)]
    base = (options.base_objects or {}).get(env.name if env else "", {})
    old = [base.get(object_key(obj.data)) for obj in sent]
    verdicts = admit(
        [obj.data for obj in sent],
        kserve_version=version,
        deployment_mode=env.deployment_mode if env else "",
        crd_files=crd_files,
        old=old,
    )
    for obj, answer in zip(sent, verdicts):
        for verdict in answer:
            yield finding_for(
                obj,
                locate_verdict(obj.data, verdict),
                rule=verdict.rule,
                message=verdict.message,
                severity=verdict.severity,
                engine="admission",
                hint=finding_hint(verdict, version),
            )
    if env is not None:
        for obj in sent:
            if obj.data.get("kind") == "InferenceService" and obj.data["apiVersion"].startswith(KSERVE_GROUP + "/"):
                for parts, message in host_label_findings(obj, env.ingress_domain):
                    yield finding_for(obj, parts, rule="KSA013", message=message, engine="admission", hint="shorten the model or namespace name")
