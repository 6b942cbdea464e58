"""policies/exceptions.yaml: waived findings stay visible, expired waivers fail, unused waivers warn."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kserve_gitops.errors import InputError
from kserve_gitops.results import ERROR, WAIVED, WARNING, Finding, ObjectRef
from kserve_gitops.validate.policy.waivers import apply_waivers, load_waivers

TODAY = dt.date(2026, 6, 1)


def finding(rule="image-tag", name="iris", namespace="models-dev", kind="InferenceService") -> Finding:
    return Finding(rule=rule, message="image has no tag", object=ObjectRef("serving.kserve.io/v1beta1", kind, name, namespace), environment="dev")


def waivers(tmp_path: Path, text: str):
    path = tmp_path / "exceptions.yaml"
    path.write_text(text)
    return load_waivers(path)


ONE = """waivers:
  - rule: image-tag
    match:
      environments: [dev]
      kind: InferenceService
      namespace: models-*
      name: iris
    reason: vendor image only ships :latest
    owner: iris-squad
    expires: {expires}
"""


def test_waived_finding_is_reported_as_waived(tmp_path):
    ws = waivers(tmp_path, ONE.format(expires="2026-12-31"))
    out = apply_waivers([finding(), finding(name="wine")], ws, environment="dev", today=TODAY)
    assert [(f.object.name, f.severity) for f in out] == [("iris", WAIVED), ("wine", ERROR)]
    assert "vendor image only ships :latest" in out[0].message and "iris-squad" in out[0].message


def test_expired_waiver_is_a_failure_and_waives_nothing(tmp_path):
    ws = waivers(tmp_path, ONE.format(expires="2026-05-31"))
    out = apply_waivers([finding()], ws, environment="dev", today=TODAY)
    assert [(f.rule, f.severity) for f in out] == [("image-tag", ERROR), ("waiver-expired", ERROR)]
    expired = out[1]
    assert expired.path.endswith("exceptions.yaml") and expired.line == 2
    assert "expired on 2026-05-31" in expired.message


def test_expiry_day_itself_is_still_valid(tmp_path):
    ws = waivers(tmp_path, ONE.format(expires="2026-06-01"))
    assert [f.severity for f in apply_waivers([finding()], ws, environment="dev", today=TODAY)] == [WAIVED]


def test_unused_waiver_is_a_warning(tmp_path):
    ws = waivers(tmp_path, ONE.format(expires="2026-12-31"))
    out = apply_waivers([finding(rule="image-digest")], ws, environment="dev", today=TODAY)
    assert [(f.rule, f.severity) for f in out] == [("image-digest", ERROR), ("waiver-unused", WARNING)]


def test_waiver_scoped_to_other_environment_is_neither_used_nor_unused(tmp_path):
    ws = waivers(tmp_path, ONE.format(expires="2026-12-31"))
    out = apply_waivers([finding()], ws, environment="prod", today=TODAY)
    assert [(f.rule, f.severity) for f in out] == [("image-tag", ERROR)]


def test_selector_without_match_covers_every_object(tmp_path):
    ws = waivers(tmp_path, "waivers:\n  - rule: image-*\n    reason: r\n    owner: o\n    expires: 2030-01-01\n")
    out = apply_waivers([finding(), finding(rule="image-digest", kind="Deployment")], ws, environment="staging", today=TODAY)
    assert {f.severity for f in out} == {WAIVED}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("waivers:\n  - rule: x\n    owner: o\n    expires: 2030-01-01\n", "'reason' is required", 2),
        ("waivers:\n  - rule: x\n    reason: r\n    owner: o\n    expires: soon\n", "must be a date", 5),
        ("waivers:\n  - rule: x\n    reason: r\n    owner: o\n    expires: 2030-01-01\n    match: {label: x}\n", "unknown selector", 6),
        ("waivers: 3\n", "'waivers' list", 1),
    ],
)
def test_invalid_waiver_file_is_bad_input(tmp_path, text, message, line):
    with pytest.raises(InputError, match=message) as info:
        waivers(tmp_path, text)
    assert info.value.line == line and info.value.exit_code == 2


def test_repo_waivers_are_owned_reasoned_and_current():
    repo_waivers = load_waivers(Path(__file__).resolve().parents[1] / "policies" / "exceptions.yaml")
    assert repo_waivers.waivers
    for w in repo_waivers.waivers:
        assert w.reason and w.owner and w.environments
