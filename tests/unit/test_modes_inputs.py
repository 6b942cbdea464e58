"""modes.py below the tables of tests/test_modes.py: how versions are read and compared, which names
count as which mode, and the edges of the v0.16 rename and of the v0.20 list canary."""

from __future__ import annotations

import pytest

from kserve_gitops.inputs import modes


@pytest.mark.parametrize(
    "text, version",
    [
        ("v0.20.0", (0, 20, 0)),
        ("0.20.0", (0, 20, 0)),
        ("v0.16", (0, 16, 0)),  # a missing patch number is 0
        (" v1.2.3 ", (1, 2, 3)),
        ("v0.21.0-rc.1", (0, 21, 0)),  # a pre-release compares as its release
        ("v0.14.10", (0, 14, 10)),  # numbers, not text: 10 > 9
        ("main", None),
        ("latest", None),
        ("v1", None),
        ("", None),
    ],
)
def test_parse_version(text: str, version) -> None:
    assert modes.parse_version(text) == version


@pytest.mark.parametrize(
    "version, since, expected",
    [
        ("v0.16.0", modes.NEW_MODE_NAMES_SINCE, True),
        ("v0.15.99", modes.NEW_MODE_NAMES_SINCE, False),
        ("v0.16", modes.NEW_MODE_NAMES_SINCE, True),
        ("v1.0.0", modes.NEW_MODE_NAMES_SINCE, True),
        ("v0.19.9", modes.LIST_CANARY_SINCE, False),
        ("v0.20.0", modes.LIST_CANARY_SINCE, True),
        ("v0.100.0", modes.LIST_CANARY_SINCE, True),
        ("main", modes.LIST_CANARY_SINCE, True),  # an unparseable version is the newest
        ("nightly", (99, 0, 0), True),
    ],
)
def test_at_least(version: str, since: tuple, expected: bool) -> None:
    assert modes.at_least(version, since) is expected


def test_the_two_names_of_each_mode() -> None:
    assert modes.MODE_NAMES == ("Knative", "Serverless", "Standard", "RawDeployment")
    assert modes.DEFAULT_MODE == "Knative"
    assert [modes.current_name(m) for m in modes.MODE_NAMES] == ["Knative", "Knative", "Standard", "Standard"]
    assert [modes.is_knative(m) for m in modes.MODE_NAMES] == [True, True, False, False]
    assert [modes.is_standard(m) for m in modes.MODE_NAMES] == [False, False, True, True]


@pytest.mark.parametrize("mode", ["ModelMesh", "serverless", "raw", ""])
def test_a_name_that_is_no_mode_is_neither_and_left_as_written(mode: str) -> None:
    # case matters: KServe's webhook reads the annotation as written
    assert (modes.is_knative(mode), modes.is_standard(mode)) == (False, False)
    assert modes.current_name(mode) == mode
    assert modes.name_for(mode, "v0.14.1") == mode
    assert modes.name_for(mode, "v0.20.0") == mode
    assert modes.canary_form("v0.20.0", mode) is None


@pytest.mark.parametrize(
    "mode, version, written",
    [
        ("Serverless", "v0.15.99", "Serverless"),
        ("Standard", "v0.15.99", "RawDeployment"),
        ("Standard", "v0.16", "Standard"),
        ("RawDeployment", "v0.16.0", "Standard"),
        ("Knative", "nightly", "Knative"),
    ],
)
def test_the_rename_takes_effect_exactly_at_v0_16(mode: str, version: str, written: str) -> None:
    assert modes.name_for(mode, version) == written


@pytest.mark.parametrize("version, has_list", [("v0.19.9", False), ("v0.20.0", True), ("v0.20.1", True), ("main", True)])
def test_the_list_canary_comes_with_v0_20(version: str, has_list: bool) -> None:
    assert modes.has_list_canary(version) is has_list
    assert modes.canary_form(version, "Standard") == ("list" if has_list else None)
    assert modes.canary_form(version, "Knative") == "revision"  # Knative canaries by revision in every release
