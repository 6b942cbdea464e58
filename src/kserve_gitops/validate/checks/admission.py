"""The admission stage as a check: each environment's objects through its KServe release's webhooks and the
API server's CRD validation (validate/admission.py drives the helper)."""

from __future__ import annotations

from typing import Iterable

from ...results import Finding, LoadedObject
from .base import CheckContext, finding_for

RULE_DESCRIPTIONS = {
    "KSA001": "The API server's schema validation of the custom resource refuses it (types, formats, bounds).",
    "KSA002": "A CEL rule (x-kubernetes-validations) of the CRD refuses the object.",
    "KSA003": "KServe's InferenceService defaulting webhook refuses the object.",
    "KSA004": "KServe's InferenceService validating webhook refuses the object.",
    "KSA005": "KServe's ServingRuntime validating webhook refuses the object.",
    "KSA006": "KServe's ClusterServingRuntime validating webhook refuses the object.",
    "KSA007": "KServe's InferenceGraph validating webhook refuses the object.",
    "KSA008": "KServe's TrainedModel validating webhook refuses the object.",
    "KSA009": "KServe's LocalModelCache validating webhook refuses the object.",
    "KSA010": "KServe's LLMInferenceService defaulting webhook refuses the object.",
    "KSA011": "KServe's LLMInferenceService validating webhook refuses the object.",
    "KSA012": "KServe's LLMInferenceServiceConfig validating webhook refuses the object.",
    "KSA013": "An InferenceService host name label longer than 63 characters (KServe fails at reconcile time).",
}



def admission_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    options = ctx.options
    if not options.admission:
        return
    # the helper's driver is loaded when the stage runs, not when validate starts
    from ..admission import KSERVE_GROUP, admit, finding_hint, helper_releases, host_label_findings, locate_verdict, wanted
    from ..base import object_key
    from ..schemas import crd_json_copy

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
