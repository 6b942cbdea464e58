"""KSV013: a credential written into a manifest (a URI with a user and password, an access key, a token
or a private key in any field: storageUri, env values, annotations, ConfigMap data). The finding names
the field, never the value; every report redacts credentials from all messages (``results.redact``)."""

from __future__ import annotations

from typing import Iterable

from ... import credentials
from ...results import Finding, LoadedObject
from .base import CheckContext, finding_for

RULE_DESCRIPTIONS = {"KSV013": "A credential (URI user and password, access key, token, private key) written into a manifest."}


def credentials_check(objects: list[LoadedObject], ctx: CheckContext) -> Iterable[Finding]:
    for obj in objects:
        if not isinstance(obj.data, dict) or obj.data.get("kind") == "Secret":
            continue  # a Secret's data is where credentials belong (and synth never writes one with any)
        for parts, what in credentials.find(obj.data):
            yield finding_for(
                obj,
                parts,
                rule="KSV013",
                message=f"{_field_name(obj.data, parts)} holds {what}; git keeps it forever and every log that shows it leaks it",
                engine="kserve",
                hint="use the IRSA ServiceAccount or a storage-config Secret (KServe's storageSecretName / valueFrom.secretKeyRef) instead, and rotate this credential",
            )


def _field_name(data: dict, parts: list) -> str:
    """``env MODEL_MIRROR`` for an env entry's value, else the key."""
    parent = data
    for part in parts[:-1]:
        parent = parent[part]
    if parts and parts[-1] == "value" and isinstance(parent, dict) and isinstance(parent.get("name"), str):
        return f"env {parent['name']}"
    return str(parts[-1]) if parts else "value"
