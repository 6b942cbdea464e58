"""KServe's own admission webhooks, run offline on objects: the ``kserve-admission-<version>`` helper binary.

``make test`` builds the helper first (scripts/install-tools.sh, into .tools/bin); a missing binary fails the
test that needs it instead of skipping it, so a canary the real webhook would refuse can never pass unseen.
The helper is called directly here (its JSON-lines protocol), not through ``validate``, so these tests judge
the written result by KServe's rules alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Sequence

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_CRDS = REPO.parent / "shared" / "crds"


def helper_binary(version: str) -> str:
    name = f"kserve-admission-{version}"
    tools = Path(os.environ.get("KSERVE_GITOPS_TOOLS", REPO / ".tools" / "bin"))
    for candidate in (tools / name, REPO / ".tools" / "bin" / name):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    assert found, f"{name} is not built: run scripts/install-tools.sh (make test does) to build KServe {version}'s webhooks"
    return found


def crd_files(version: str) -> list[str]:
    root = Path(os.environ.get("KSERVE_GITOPS_CRDS", SHARED_CRDS)) / "kserve" / version
    files = sorted(str(p) for p in root.glob("serving.kserve.io_*.yaml"))
    assert files, f"no KServe {version} CRDs under {root}"
    return files


def admission_verdicts(
    version: str, mode: str, objects: Sequence[dict[str, Any]], old: Sequence[dict[str, Any] | None] | None = None
) -> list[list[dict[str, Any]]]:
    """KServe ``version``'s admission chain (defaulting and validating webhooks, the API server's CRD
    validation) on ``objects`` in an environment of deployment ``mode``: one list of findings per object,
    in order (``{"stage", "webhook", "severity", "field", "message", "operation"}``; empty = accepted).
    ``old[i]``, when given, makes object ``i`` an UPDATE of it."""
    command = [helper_binary(version), "--deployment-mode", mode]
    for path in crd_files(version):
        command += ["--crd", path]
    lines = []
    for i, obj in enumerate(objects):
        request: dict[str, Any] = {"object": obj}
        if old is not None and old[i] is not None:
            request["old"] = old[i]
        lines.append(json.dumps(request))
    proc = subprocess.run(command, input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{command[0]} failed ({proc.returncode}): {proc.stderr[-2000:]}"
    out = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert out and out[-1] == {"done": len(objects)}, f"{command[0]} answered {len(out) - 1} of {len(objects)} objects"
    verdicts: list[list[dict[str, Any]]] = [[] for _ in objects]
    for record in out[:-1]:
        verdicts[record["index"]] = record["findings"]
    return verdicts


def errors(verdicts: list[list[dict[str, Any]]], objects: Sequence[dict[str, Any]]) -> list[str]:
    """Every error finding, as ``Kind name: [stage] field: message`` (for assertion messages)."""
    return [
        f"{obj.get('kind')} {obj.get('metadata', {}).get('name')}: [{f['stage']}] {f.get('field') or ''}: {f['message']}"
        for obj, findings in zip(objects, verdicts)
        for f in findings
        if f["severity"] == "error"
    ]


def rendered(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML render."""
    return [doc for doc in yaml.safe_load_all(text) if doc]
