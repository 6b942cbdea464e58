"""The admission stage: what the API server and KServe's webhooks would say, offline.

A CRD schema cannot express most of what a cluster refuses: KServe's webhooks are Go code
(``pkg/apis/serving/v1beta1/*_validation.go`` and friends), and the API server itself adds structural
defaults, OpenAPI formats (int32 bounds) and CEL ``x-kubernetes-validations`` rules. None of it is ported
here: ``kserve-admission-<version>`` (built by ``scripts/install-tools.sh`` from
``admission_helper/``) links the KServe release's own webhook types and Kubernetes' apiextensions
validation, and this module only feeds it one environment's objects (one process per environment) and
turns its answers into findings.

For each object the helper runs the API server's order: decode (prune, schema defaults), mutating
webhooks, schema + formats + CEL, validating webhooks; like the API server it stops at the first stage
that refuses. An object with an old version (the base commit's render, ``--base``) is an UPDATE.

| id     | stage                                                                      | severity |
|--------|----------------------------------------------------------------------------|----------|
| KSA001 | the API server's OpenAPI schema validation of a custom resource (formats)  | error    |
| KSA002 | a CRD's CEL rule (``x-kubernetes-validations``)                            | error    |
| KSA003 | KServe's InferenceService defaulting webhook                               | error    |
| KSA004 | KServe's InferenceService validating webhook                               | err/warn |
| KSA005 | KServe's ServingRuntime validating webhook (priority conflicts and more)   | error    |
| KSA006 | KServe's ClusterServingRuntime validating webhook                          | error    |
| KSA007 | KServe's InferenceGraph validating webhook                                 | error    |
| KSA008 | KServe's TrainedModel validating webhook                                   | error    |
| KSA009 | KServe's LocalModelCache validating webhook                                | error    |
| KSA010 | KServe's LLMInferenceService defaulting webhook                            | error    |
| KSA011 | KServe's LLMInferenceService validating webhook                            | err/warn |
| KSA012 | KServe's LLMInferenceServiceConfig validating webhook                      | err/warn |
| KSA013 | an InferenceService host name longer than a DNS label (found only at runtime) | error |

Messages are KServe's and the API server's, word for word.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import ToolFailed
from ..results import ERROR, WARNING, LoadedObject
from ..tools import find_tool, run_tool
from .schemas import crd_json_copy

KSERVE_GROUP = "serving.kserve.io"
HELPER_NAME = "kserve-admission-{version}"
HELPER_HINT = "run 'make tools' (scripts/install-tools.sh builds kserve-admission for every KServe version kserve-gitops.yaml uses)"

# webhook name as KServe's manifests register it (without the API version part) -> rule id
WEBHOOK_RULES = {
    "inferenceservice.kserve-webhook-server.defaulter": "KSA003",
    "inferenceservice.kserve-webhook-server.validator": "KSA004",
    "servingruntime.kserve-webhook-server.validator": "KSA005",
    "clusterservingruntime.kserve-webhook-server.validator": "KSA006",
    "inferencegraph.kserve-webhook-server.validator": "KSA007",
    "trainedmodel.kserve-webhook-server.validator": "KSA008",
    "localmodelcache.kserve-webhook-server.validator": "KSA009",
    "llminferenceservice.kserve-webhook-server.defaulter": "KSA010",
    "llminferenceservice.kserve-webhook-server.validator": "KSA011",
    "llminferenceserviceconfig.kserve-webhook-server.validator": "KSA012",
}


class AdmissionHelperFailed(ToolFailed):
    """The helper crashed, or answered for other objects than it was given: the run fails, never passes."""


@dataclass(frozen=True)
class Verdict:
    """One thing the helper said about one object."""

    stage: str
    webhook: str
    severity: str
    field: str
    message: str
    operation: str

    @property
    def rule(self) -> str:
        if self.stage == "schema":
            return "KSA001"
        if self.stage == "cel":
            return "KSA002"
        # llminferenceservice.kserve-webhook-server.v1alpha2.validator -> without the version
        name = re.sub(r"\.v1(alpha|beta)?\d*\.", ".", self.webhook)
        return WEBHOOK_RULES.get(name, "KSA004")


HELPER_SOURCES = Path(__file__).resolve().parent / "admission_helper"


def helper_releases() -> list[str]:
    """The KServe releases a helper can be built for (one folder each under admission_helper/)."""
    names = [p.name.removeprefix("kserve-") for p in HELPER_SOURCES.glob("kserve-v*") if p.is_dir()]
    return sorted(names, key=lambda v: tuple(int(x) for x in re.findall(r"\d+", v)))


def helper_path(kserve_version: str) -> str:
    return find_tool(HELPER_NAME.format(version=kserve_version), hint=HELPER_HINT)  # type: ignore[return-value]


def admit(
    objects: Sequence[dict[str, Any]],
    *,
    kserve_version: str,
    deployment_mode: str = "",
    crd_files: Iterable[Path] = (),
    old: Sequence[dict[str, Any] | None] | None = None,
    config_file: Path | None = None,
) -> list[list[Verdict]]:
    """Run KServe ``kserve_version``'s admission chain over ``objects`` (one helper process); one list of
    verdicts per object, in order. ``old[i]``, when given, makes object ``i`` an UPDATE of it."""
    helper = helper_path(kserve_version)
    command = [helper]
    if deployment_mode:
        command += ["--deployment-mode", deployment_mode]
    if config_file:
        command += ["--config", str(config_file)]
    for path in sorted({str(p) for p in crd_files}):
        command += ["--crd", path]
    lines = []
    for i, obj in enumerate(objects):
        request: dict[str, Any] = {"object": obj}
        if old is not None and old[i] is not None:
            request["old"] = old[i]
        lines.append(json.dumps(request, separators=(",", ":"), default=str))
    stdin = ("\n".join(lines) + "\n") if lines else ""
    proc = run_tool(command, input=stdin, check=False, timeout=600, error=AdmissionHelperFailed)
    if proc.returncode != 0:
        raise AdmissionHelperFailed(
            f"kserve-admission {kserve_version} failed (exit {proc.returncode}); no object is taken as accepted",
            command=command[:1],
            stderr=proc.stderr.decode(errors="replace"),
        )
    return _parse_answers(proc.stdout.decode(), len(objects), kserve_version)


def _parse_answers(stdout: str, expected: int, kserve_version: str) -> list[list[Verdict]]:
    answers: dict[int, list[Verdict]] = {}
    done = None
    for line in stdout.splitlines():
        if not line.strip():
            continue
        try:
            answer = json.loads(line)
        except ValueError:
            raise AdmissionHelperFailed(f"kserve-admission {kserve_version} printed a line that is not JSON: {line[:200]!r}") from None
        if "done" in answer:
            done = answer["done"]
            continue
        answers[int(answer["index"])] = [
            Verdict(
                stage=f.get("stage", ""),
                webhook=f.get("webhook", ""),
                severity=WARNING if f.get("severity") == "warning" else ERROR,
                field=f.get("field", ""),
                message=f.get("message", ""),
                operation=f.get("operation", "CREATE"),
            )
            for f in answer.get("findings") or []
        ]
    if done != expected or sorted(answers) != list(range(expected)):
        raise AdmissionHelperFailed(
            f"kserve-admission {kserve_version} answered for {len(answers)} of {expected} objects; the run fails rather than pass the rest"
        )
    return [answers[i] for i in range(expected)]


# --- which objects, and where a verdict points ---------------------------------------------------------


def wanted(data: Any, crd_kinds: set[tuple[str, str]]) -> bool:
    """KServe's kinds (their webhooks run even without a CRD) and every kind a CRD of the set serves."""
    if not isinstance(data, dict):
        return False
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return False
    return api_version.startswith(KSERVE_GROUP + "/") or (api_version, kind) in crd_kinds


FIELD_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^\]]+)\]")


def parse_field(text: str) -> list[Any]:
    """``spec.predictor.containers[0].env`` -> ``["spec", "predictor", "containers", 0, "env"]``."""
    parts: list[Any] = []
    for name, index, key in FIELD_PART.findall(text or ""):
        if index:
            parts.append(int(index))
        elif key:
            parts.append(key.strip("\"'"))
        elif name:
            parts.append(name)
    return parts


CANARY_NAMED = re.compile(r'canary (?:predictor\.name )?"([^"]*)"')
CANARY_INDEX = re.compile(r"canary\[(\d+)\]")
MUST_NOT_SET = re.compile(r"must not set (\w+)")
# a webhook that cannot decode the object: "json: cannot unmarshal ... into Go struct field T.spec.x of type int32"
GO_STRUCT_FIELD = re.compile(r"Go struct field \w+\.(\S+) of type")
GO_NUMBER = re.compile(r"cannot unmarshal number (\S+) into")
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")
COMPONENTS = ("predictor", "transformer", "explainer")
CAMEL_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'|\[([^\]\[]+)\]|\(([^()]+)\)")
# keys that name no particular field when a message uses the plain word ("a name must consist of ...", "in
# namespace models"); they still match when quoted ('name')
GENERIC_KEYS = frozenset(
    {"name", "namespace", "type", "value", "kind", "apiversion", "spec", "metadata", "status", "data", "key", "image",
     "format", "version", "path", "uri", "args", "command", "env", "labels", "annotations", "resources"}
)


def locate_verdict(data: dict[str, Any], verdict: Verdict) -> list[Any]:
    """The JSON path a verdict is about: the helper's field when the webhook gave one, else the place in
    the object its message names (a field path a decoder quotes, a canary by name or index, a field or a
    value it names), else spec."""
    if verdict.field:
        return parse_field(verdict.field)
    message = verdict.message
    if (m := GO_STRUCT_FIELD.search(message)) is not None:
        # Go names embedded structs in the path (spec.predictor.ComponentExtensionSpec.maxReplicas) and
        # leaves out list indices (spec.predictor.containers.ports.containerPort).
        number = GO_NUMBER.search(message)
        found = _resolve(data, [p for p in parse_field(m.group(1)) if isinstance(p, str)], number.group(1) if number else None)
        if found:
            return found
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    canaries = spec.get("canary") if isinstance(spec.get("canary"), list) else []
    index = None
    if (m := CANARY_INDEX.search(message)) is not None:
        index = int(m.group(1))
    elif (m := CANARY_NAMED.search(message)) is not None:
        # the last canary of that name: a duplicate is refused at its second occurrence
        named = [i for i, c in enumerate(canaries) if isinstance(c, dict) and isinstance(c.get("predictor"), dict) and c["predictor"].get("name") == m.group(1)]
        index = named[-1] if named else None
    if index is not None and index < len(canaries) and isinstance(canaries[index], dict):
        base: list[Any] = ["spec", "canary", index]
        entry = canaries[index]
        if (m := MUST_NOT_SET.search(message)) is not None and m.group(1) in (entry.get("predictor") or {}):
            return [*base, "predictor", m.group(1)]
        found = _mentioned(entry, message, base)
        return found or base
    if "canary" in message and canaries:
        return ["spec", "canary"]
    components = [c for c in COMPONENTS if re.search(rf"\b{c}\b", message) and isinstance(spec.get(c), dict)]
    if len(components) == 1:
        found = _mentioned(spec[components[0]], message, ["spec", components[0]])
        if found:
            return found
    found = _mentioned(data, message, [])
    if found:
        return found
    return ["spec"] if spec else ["metadata", "name"]


def _resolve(data: Any, names: list[str], leaf: str | None) -> list[Any] | None:
    """The path of ``names`` in ``data``, skipping names it does not have (Go's embedded struct names) and
    trying each element of a list (preferring the one whose value is ``leaf``); None when nothing matches."""
    best: tuple[int, bool, list[Any]] | None = None

    def walk(node: Any, rest: list[str], path: list[Any], matched: int) -> None:
        nonlocal best
        if isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, rest, [*path, i], matched)
            return
        if rest and isinstance(node, dict) and rest[0] in node:
            walk(node[rest[0]], rest[1:], [*path, rest[0]], matched + 1)
            return
        if rest:
            walk(node, rest[1:], path, matched)
            return
        candidate = (matched, leaf is not None and str(node) == leaf, path)
        if matched and (best is None or candidate[:2] > best[:2]):
            best = candidate

    walk(data, names, [], 0)
    return best[2] if best else None


def _mentioned(node: Any, message: str, prefix: list[Any]) -> list[Any] | None:
    """The place in ``node`` the message names, or None.

    A key is named by an identifier of the message, case-insensitively (``'MinReplicas'`` names
    ``minReplicas``, ``node`` names ``nodes``, ``predictor.name`` names ``predictor``), a generic key
    (``name``) only when quoted, a key of several words also by those words (``target utilization
    percentage``); a value by a quoted string, an identifier or a word of the message, exactly
    (``PYTHONPATH``, ``[turbo]``, a URI). Each thing named stands for its outermost place (``'name'`` in a
    predictor's message is the model's name, not its model format's; the later of equals, where a
    repetition is refused); of those, the deepest wins (the variable, not its container), then the one the
    message names first."""
    quoted = [next(g for g in q if g) for q in QUOTED.findall(message)]
    words = [*TOKEN.findall(message), *(w.strip("\"'()[],;:.") for w in message.split())]
    position: dict[str, int] = {}
    for text in [*quoted, *words]:
        if text:
            position.setdefault(text, message.find(text))
    values = {t for t in position if len(t) > 2}
    keys = {t.lower(): at for t, at in position.items()}
    for token in TOKEN.findall(" ".join(QUOTED.sub(" ", message).split())):  # not the dots of a quoted name
        for part in token.split(".") if "." in token else ():
            if part:
                keys.setdefault(part.lower(), message.find(part))
    quoted_keys = {t.lower() for t in quoted}
    # what the message names -> (its outermost place, where the message names it, document order)
    named: dict[str, tuple[list[Any], int, int]] = {}
    order = 0

    def consider(evidence: str, path: list[Any], at: int) -> None:
        seen = named.get(evidence)
        if seen is None or len(path) <= len(seen[0]):
            named[evidence] = (path, at, order)

    def key_named(key: str) -> tuple[str, int] | None:
        low = key.lower()
        for token in (low, low[:-1] if low.endswith("s") else None):
            if token and token in keys and (low not in GENERIC_KEYS or token in quoted_keys):
                return token, keys[token]
        # a key of two words or more, spelled out: "target utilization percentage" names
        # serving.kserve.io/targetUtilizationPercentage
        parts = CAMEL_WORD.findall(key.rsplit("/", 1)[-1])
        if len(parts) > 1 and (m := re.search(r"\b" + r"[\s_-]+".join(map(re.escape, parts)) + r"\b", message, re.I)):
            return m.group(0).lower(), m.start()
        return None

    def walk(value: Any, path: list[Any]) -> None:
        nonlocal order
        order += 1
        if isinstance(value, dict):
            for key, child in value.items():
                child_path = [*path, key]
                if (hit := key_named(str(key))) is not None:
                    consider("key:" + hit[0], child_path, hit[1])
                walk(child, child_path)
        elif isinstance(value, list):
            for i, child in enumerate(value):
                walk(child, [*path, i])
        elif isinstance(value, str) and value in values and path not in (["kind"], ["apiVersion"]):
            consider("value:" + value, path, position[value])

    walk(node, prefix)
    if not named:
        return None
    path, _, _ = max(named.values(), key=lambda place: (len(place[0]), -place[1], place[2]))
    return path


# --- a runtime failure of our own: the predictor's host label ------------------------------------------

DNS_LABEL_MAX = 63


def host_label_findings(obj: LoadedObject, domain: str) -> list[tuple[list[Any], str]]:
    """KServe names a component's Knative service or Deployment ``{name}-{component}`` and its host
    ``{name}-{component}-{namespace}.{domain}`` (the default domain template); a first label over 63
    characters passes every webhook and fails only when the controller reconciles."""
    data = obj.data
    meta = data.get("metadata") or {}
    name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
    spec = data.get("spec") if isinstance(data.get("spec"), dict) else {}
    out = []
    for component in ("predictor", "transformer", "explainer"):
        if not isinstance(spec.get(component), dict):
            continue
        label = f"{name}-{component}-{namespace}" if namespace else f"{name}-{component}"
        if len(label) > DNS_LABEL_MAX:
            host = f"{label}.{domain}" if domain else label
            out.append(
                (
                    ["metadata", "name"],
                    f"host {host!r}: its first label {label!r} is {len(label)} characters, over the DNS limit of {DNS_LABEL_MAX}; "
                    "KServe accepts the object and then fails to create its route",
                )
            )
    return out


def describe(verdict: Verdict, kserve_version: str) -> str:
    where = "the API server" if verdict.stage in ("schema", "cel") else f"KServe {kserve_version}"
    return f"{where} ({verdict.webhook}, {verdict.operation})"


def finding_hint(verdict: Verdict, kserve_version: str) -> str:
    return f"refused by {describe(verdict, kserve_version)}" if verdict.severity == ERROR else f"warning from {describe(verdict, kserve_version)}"


# --- a change under review (diff) ---------------------------------------------------------------------


def review(
    new: dict[Any, dict[str, Any]],
    old: dict[Any, dict[str, Any]],
    *,
    environment: Any,
    crd_files: Sequence[Path],
) -> list[tuple[Any, Verdict]]:
    """What the cluster would say about the objects a change adds or changes: every object of the new
    environment goes to the helper (cluster state), existing ones as UPDATEs of their old version, and
    the verdicts on added and changed objects are returned as (object key, verdict)."""
    from .schemas import SchemaSet

    schema_set = SchemaSet(kubernetes_version=environment.kubernetes_version, crd_files=crd_files)
    kinds = set(schema_set.crd_keys())
    keys = [key for key, data in new.items() if wanted(data, kinds)]
    if not keys:
        return []
    origins = {schema_set.crd_origin(new[k]["apiVersion"], new[k]["kind"]) for k in keys}
    verdicts = admit(
        [new[k] for k in keys],
        kserve_version=environment.kserve_version,
        deployment_mode=environment.deployment_mode,
        crd_files=[crd_json_copy(p) for p in sorted(o for o in origins if o is not None)],
        old=[old.get(k) for k in keys],
    )
    return [(key, verdict) for key, answer in zip(keys, verdicts) if new[key] != old.get(key) for verdict in answer]
