"""``policies/exceptions.yaml``: deliberate, owned, expiring exceptions to policy rules.

A waiver names a rule id, selects objects (environments, kind, namespace, name; shell-style globs), and
says why, who owns it and until when. A waived finding stays in the report with severity ``waived``; a
waiver past its expiry date waives nothing and is itself an error; a waiver that applies to an
environment but waives nothing there is a warning (so stale waivers get cleaned up).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterable

from ...errors import InputError
from ...inputs.yamlsrc import load_documents, positions_for
from ...results import ERROR, WAIVED, WARNING, Finding, ObjectRef

REQUIRED = ("rule", "reason", "owner", "expires")
SELECTOR_KEYS = ("environments", "kind", "namespace", "name")


@dataclass(frozen=True)
class Waiver:
    rule: str
    reason: str
    owner: str
    expires: dt.date
    environments: tuple[str, ...] = ()
    kind: str = "*"
    namespace: str = "*"
    name: str = "*"
    path: str = ""
    line: int = 0
    index: int = 0

    def applies_to(self, environment: str) -> bool:
        return not self.environments or environment in self.environments

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def matches(self, finding: Finding, environment: str) -> bool:
        obj = finding.object
        return (
            self.applies_to(environment)
            and fnmatchcase(finding.rule, self.rule)
            and fnmatchcase(obj.kind, self.kind)
            and fnmatchcase(obj.namespace, self.namespace)
            and fnmatchcase(obj.name, self.name)
        )

    def describe(self) -> str:
        envs = ",".join(self.environments) or "*"
        return f"{self.rule} on {self.kind}/{self.namespace}/{self.name} in {envs}"


@dataclass
class WaiverSet:
    waivers: list[Waiver] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.waivers)

    def extend(self, other: "WaiverSet") -> None:
        self.waivers.extend(other.waivers)


def load_waivers(path: str | Path) -> WaiverSet:
    name = str(path)
    docs = load_documents(name)
    if not docs:
        return WaiverSet()
    data = docs[0].data
    positions = positions_for(name)
    if not isinstance(data, dict) or not isinstance(data.get("waivers", []), list):
        raise InputError("expected a mapping with a 'waivers' list", path=name, line=1)
    waivers = []
    for i, item in enumerate(data.get("waivers") or []):
        line, col, _ = positions.locate(0, ["waivers", i])

        def bad(message: str, key: str | None = None) -> InputError:
            parts: list[Any] = ["waivers", i] + ([key] if key else [])
            at_line, at_col, _ = positions.locate(0, parts)
            field_name = f"waivers[{i}]" + (f".{key}" if key else "")
            return InputError(message, path=name, line=at_line, column=at_col, field=field_name)

        if not isinstance(item, dict):
            raise bad("a waiver is a mapping with rule, match, reason, owner and expires")
        for key in REQUIRED:
            if item.get(key) in (None, ""):
                raise bad(f"'{key}' is required (every waiver says which rule, why, who owns it and until when)")
        unknown = sorted(set(item) - {*REQUIRED, "match"})
        if unknown:
            raise bad(f"unknown key(s): {', '.join(unknown)}")
        expires = _date(item["expires"])
        if expires is None:
            raise bad(f"'expires' must be a date YYYY-MM-DD, not {item['expires']!r}", "expires")
        match = item.get("match") or {}
        if not isinstance(match, dict):
            raise bad("'match' is a mapping of environments, kind, namespace, name", "match")
        unknown = sorted(set(match) - set(SELECTOR_KEYS))
        if unknown:
            raise bad(f"unknown selector key(s): {', '.join(unknown)} (known: {', '.join(SELECTOR_KEYS)})", "match")
        envs = match.get("environments") or []
        if isinstance(envs, str):
            envs = [envs]
        waivers.append(
            Waiver(
                rule=str(item["rule"]),
                reason=str(item["reason"]).strip(),
                owner=str(item["owner"]),
                expires=expires,
                environments=tuple(str(e) for e in envs),
                kind=str(match.get("kind", "*")),
                namespace=str(match.get("namespace", "*")),
                name=str(match.get("name", "*")),
                path=name,
                line=line,
                index=i,
            )
        )
    return WaiverSet(waivers)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def apply_waivers(
    findings: Iterable[Finding], waivers: WaiverSet, *, environment: str, today: dt.date | None = None
) -> list[Finding]:
    """Mark waived findings, then add a finding for each expired or unused waiver of this environment."""
    today = today or dt.date.today()
    used: set[int] = set()
    out: list[Finding] = []
    for finding in findings:
        waiver = None
        if finding.severity in (ERROR, WARNING):
            waiver = next(
                (w for w in waivers.waivers if not w.expired(today) and w.matches(finding, environment)),
                None,
            )
        if waiver is None:
            out.append(finding)
            continue
        used.add(waiver.index)
        out.append(
            replace(
                finding,
                severity=WAIVED,
                message=f"{finding.message} [waived until {waiver.expires.isoformat()} by {waiver.owner}: {waiver.reason}]",
            )
        )
    for waiver in waivers.waivers:
        if not waiver.applies_to(environment):
            continue
        if waiver.expired(today):
            out.append(_waiver_finding(waiver, environment, "waiver-expired", ERROR,
                                       f"waiver for {waiver.describe()} expired on {waiver.expires.isoformat()} (owner {waiver.owner})",
                                       "fix the findings it covered, or renew it with a new expiry date and reason"))
        elif waiver.index not in used:
            out.append(_waiver_finding(waiver, environment, "waiver-unused", WARNING,
                                       f"waiver for {waiver.describe()} waives nothing in {environment}",
                                       "delete it, or narrow its 'environments'"))
    return out


def _waiver_finding(waiver: Waiver, environment: str, rule: str, severity: str, message: str, hint: str) -> Finding:
    return Finding(
        rule=rule,
        message=message,
        severity=severity,
        path=waiver.path,
        line=waiver.line,
        column=1,
        json_path=f"waivers[{waiver.index}]",
        object=ObjectRef("", "", ""),
        environment=environment,
        engine="policy",
        hint=hint,
    )
