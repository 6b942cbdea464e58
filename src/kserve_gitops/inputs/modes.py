"""KServe's deployment modes, their names per release, and the canary form each environment can run.

KServe v0.16 renamed its two modes: ``Serverless`` (on Knative) is ``Knative`` and ``RawDeployment`` (plain
Deployments) is ``Standard``. Releases from v0.16 read the old names as the new ones; earlier releases (v0.14.1
here) know only the old names. kserve-gitops reads both names wherever a mode is written (``kserve-gitops.yaml``,
a model's ``serving.kserve.io/deploymentMode`` annotation) and writes the name the environment's release knows.

Canaries, as KServe's admission webhook accepts them:

* Knative (Serverless) mode, every release: by revision, ``spec.predictor.canaryTrafficPercent``; Knative keeps
  the previously rolled-out revision for the rest of the traffic.
* Standard mode, KServe v0.20.0 and later: the list ``spec.canary: [{trafficPercent, predictor}]``, each canary
  predictor named (``predictor.name``), with fixed replicas; v0.20.0's webhook rejects the list in any other
  mode ("canary is only supported in Standard deployment mode").
* Standard (RawDeployment) mode before v0.20.0: no traffic split at all.
"""

from __future__ import annotations

import re

KNATIVE = "Knative"
STANDARD = "Standard"
LEGACY_KNATIVE = "Serverless"
LEGACY_STANDARD = "RawDeployment"
KNATIVE_MODES = (KNATIVE, LEGACY_KNATIVE)
STANDARD_MODES = (STANDARD, LEGACY_STANDARD)
MODE_NAMES = (*KNATIVE_MODES, *STANDARD_MODES)
DEFAULT_MODE = KNATIVE

CURRENT_NAME = {LEGACY_KNATIVE: KNATIVE, LEGACY_STANDARD: STANDARD}
LEGACY_NAME = {KNATIVE: LEGACY_KNATIVE, STANDARD: LEGACY_STANDARD}

NEW_MODE_NAMES_SINCE = (0, 16, 0)  # kserve/kserve#4608
LIST_CANARY_SINCE = (0, 20, 0)

REVISION_CANARY = "revision"  # spec.predictor.canaryTrafficPercent
LIST_CANARY = "list"  # spec.canary: [{trafficPercent, predictor}]


def parse_version(version: str) -> tuple[int, ...] | None:
    match = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", str(version).strip())
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def at_least(kserve_version: str, since: tuple[int, ...]) -> bool:
    """True when ``kserve_version`` is ``since`` or later; an unparseable version (``main``) is the latest."""
    version = parse_version(kserve_version)
    return version is None or version >= since


def current_name(mode: str) -> str:
    """The current name of a mode (``Serverless`` → ``Knative``, ``RawDeployment`` → ``Standard``); other
    values (``ModelMesh``, typos) are returned as they are."""
    return CURRENT_NAME.get(mode, mode)


def is_knative(mode: str) -> bool:
    return mode in KNATIVE_MODES


def is_standard(mode: str) -> bool:
    return mode in STANDARD_MODES


def name_for(mode: str, kserve_version: str) -> str:
    """The name of ``mode`` that the KServe release ``kserve_version`` knows."""
    current = current_name(mode)
    if at_least(kserve_version, NEW_MODE_NAMES_SINCE):
        return current
    return LEGACY_NAME.get(current, mode)


def has_list_canary(kserve_version: str) -> bool:
    return at_least(kserve_version, LIST_CANARY_SINCE)


def canary_form(kserve_version: str, mode: str) -> str | None:
    """How an environment canaries: ``revision``, ``list``, or ``None`` when it cannot split traffic."""
    if is_knative(mode):
        return REVISION_CANARY
    if is_standard(mode) and has_list_canary(kserve_version):
        return LIST_CANARY
    return None
