"""The rules of ``validate``, in the order they run: one table, read top to bottom.

Each check is ``(objects, context) -> findings`` (``base.Check``). The schema check comes first; the
KServe checks (KSV0nn) and the policy gate judge what the cluster would store; the admission stage runs
KServe's own webhooks in a thread beside the others (it waits on a helper process); the credential scan
comes last. ``RULES`` describes every rule id a validate report can carry (reporters read it from the
report, never from here).
"""

from __future__ import annotations

from ... import results
from . import admission, credentials, kserve, kserve_features, policy, schema
from .base import Check, CheckContext, finding_for

CHECKS: dict[str, Check] = {
    "schema": schema.schema_check,
    "KSV001-runtime": kserve.runtime_check,
    "KSV002-legacy": kserve.legacy_check,
    "KSV003-version-fields": kserve.version_fields_check,
    "KSV004-raw-deployment": kserve.raw_deployment_check,
    "KSV006-predictor-host": kserve.predictor_host_check,
    "KSV007-container-name": kserve.container_name_check,
    "KSV008-names": kserve.names_check,
    "KSV011-model-cache-version": kserve_features.model_cache_version_check,
    "KSV012-serving-ports": kserve_features.serving_ports_check,
    "KSV020-mtls-off": kserve_features.mtls_off_check,
    "policy": policy.policy_check,
    "admission": admission.admission_check,
    "credentials": credentials.credentials_check,
}
# checks that mostly wait on a helper process: run in a thread beside the others
SUBPROCESS_CHECKS = frozenset({"admission"})
# checks that also see what is not shaped like an object (metadata or spec not a mapping)
WHOLE_INPUT_CHECKS = frozenset({"schema", "credentials"})

RULES: dict[str, str] = {
    **results.RULE_DESCRIPTIONS,
    **kserve.RULE_DESCRIPTIONS,
    **kserve_features.RULE_DESCRIPTIONS,
    **credentials.RULE_DESCRIPTIONS,
    **admission.RULE_DESCRIPTIONS,
}

__all__ = ["CHECKS", "RULES", "SUBPROCESS_CHECKS", "WHOLE_INPUT_CHECKS", "Check", "CheckContext", "finding_for"]
