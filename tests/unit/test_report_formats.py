"""report/: every -o format over one small Report built here, compared whole: the lines, the structure, the
order findings come in, the escaping of characters each format treats specially, and the exit code a
report's results give. tests/test_reporters.py checks the formats against their schemas on real runs."""

from __future__ import annotations

import io
import json
from xml.etree import ElementTree as ET

import pytest

from kserve_gitops import __version__
from kserve_gitops.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK
from kserve_gitops.report import REPORTERS, ReportOptions
from kserve_gitops.report.github import annotation, escape_data, escape_property
from kserve_gitops.report.json_report import to_dict
from kserve_gitops.report.junit import to_xml
from kserve_gitops.report.sarif import to_sarif
from kserve_gitops.results import EnvironmentResult, Finding, ObjectRef, Report, input_error_report

ISVC = ObjectRef("serving.kserve.io/v1beta1", "InferenceService", "iris", "models-dev")
CONFIGMAP = ObjectRef("v1", "ConfigMap", "cfg")
NAMESPACE = ObjectRef("v1", "Namespace", "models-dev")
HELP = "See docs/validate.md in kserve-gitops for what the rule checks and how to fix it."


def build() -> Report:
    """prod is clean; dev has two errors on one InferenceService and a warning on a ConfigMap whose file name
    and message hold the characters formats escape. Findings are listed out of order on purpose."""
    dev = EnvironmentResult(
        "dev",
        objects=5,
        models=2,
        findings=[
            Finding(
                "KSV001",
                'storageUri [s3://b] is <bad> & "quoted"',
                path="overlays/dev/isvc.yaml",
                line=12,
                column=7,
                json_path="spec.predictor.model.storageUri",
                object=ISVC,
                environment="dev",
                engine="kserve",
                hint="use s3://",
            ),
            Finding("KSV002", "50% of\nrequests", severity="warning", path="models/a b,c:d.yaml", line=3, object=CONFIGMAP, environment="dev"),
            Finding("schema", "bad type", path="overlays/dev/isvc.yaml", line=4, column=1, object=ISVC, environment="dev"),
        ],
        checked=[ISVC, CONFIGMAP, NAMESPACE],
    )
    prod = EnvironmentResult("prod", objects=3, models=1)
    return Report([prod, dev], rules={"KSV001": "storage", "schema": "schema!"})


def render(report: Report, name: str, **options) -> str:
    stream = io.StringIO()
    REPORTERS[name](report, stream, ReportOptions(**options))
    return stream.getvalue()


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """rich sizes its table from COLUMNS when the stream is not a terminal."""
    monkeypatch.setenv("COLUMNS", "100")


# --- order and exit codes --------------------------------------------------------------------------------


def test_findings_are_sorted_by_environment_path_line_and_column() -> None:
    findings = [
        Finding("r", "m", environment="b", path="a.yaml", line=1),
        Finding("r", "m", environment="a", path="z.yaml", line=9),
        Finding("r", "m", environment="a", path="a.yaml", line=10),
        Finding("r", "m", environment="a", path="a.yaml", line=2, column=5),
        Finding("r", "m", environment="a", path="a.yaml", line=2, column=3),
        Finding("q", "m", environment="a", path="a.yaml", line=2, column=3),
    ]
    report = Report([EnvironmentResult("b", findings=findings[:1]), EnvironmentResult("a", findings=findings[1:])])
    assert [(f.environment, f.path, f.line, f.column, f.rule) for f in report.findings] == [
        ("a", "a.yaml", 2, 3, "q"),
        ("a", "a.yaml", 2, 3, "r"),
        ("a", "a.yaml", 2, 5, "r"),
        ("a", "a.yaml", 10, 0, "r"),  # numbers, not text: 10 after 2
        ("a", "z.yaml", 9, 0, "r"),
        ("b", "a.yaml", 1, 0, "r"),
    ]


@pytest.mark.parametrize(
    "severities, fail_on_warn, input_error, code",
    [
        ((), False, False, EXIT_OK),
        (("warning",), False, False, EXIT_OK),
        (("waived",), True, False, EXIT_OK),  # a waived finding never fails
        (("warning",), True, False, EXIT_FINDINGS),
        (("error",), False, False, EXIT_FINDINGS),
        (("error", "warning"), False, False, EXIT_FINDINGS),
        ((), False, True, EXIT_INPUT),
        (("error",), True, True, EXIT_INPUT),  # input errors outrank findings
    ],
)
def test_exit_code_from_results(severities: tuple, fail_on_warn: bool, input_error: bool, code: int) -> None:
    env = EnvironmentResult("dev", findings=[Finding("r", "m", severity=s) for s in severities])
    report = Report([EnvironmentResult("prod"), env], fail_on_warn=fail_on_warn, input_error=input_error)
    assert report.exit_code() == code
    assert json.loads(render(report, "json"))["exitCode"] == code


def test_exit_codes_are_the_documented_numbers() -> None:
    assert (EXIT_OK, EXIT_FINDINGS, EXIT_INPUT) == (0, 1, 2)
    assert Report().exit_code() == 0


def test_fail_on_warn_turns_a_warning_verdict_into_fail_in_every_summary() -> None:
    report = Report([EnvironmentResult("dev", objects=1, findings=[Finding("r", "m", severity="warning", path="a.yaml")])], fail_on_warn=True)
    assert to_dict(report)["environments"][0]["verdict"] == "fail"
    assert render(report, "github").splitlines()[-1] == "dev: 1 objects, 0 errors, 1 warnings: fail"
    assert render(report, "text", summary=True).splitlines()[-1] == " dev         │       1 │      0 │      0 │        1 │ fail    "


# --- text ------------------------------------------------------------------------------------------------

TABLE = [
    " environment ┃ objects ┃ models ┃ errors ┃ warnings ┃ verdict ",
    "━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━",
    " prod        │       3 │      1 │      0 │        0 │ pass    ",
    " dev         │       5 │      2 │      2 │        1 │ fail    ",
]
TEXT_FINDINGS = [
    "models/a b,c:d.yaml:3:1: warning [dev] ConfigMap/cfg 50% of",
    "requests (KSV002)",
    "overlays/dev/isvc.yaml:4:1: error [dev] InferenceService/models-dev/iris bad type (schema)",
    'overlays/dev/isvc.yaml:12:7: error [dev] InferenceService/models-dev/iris spec.predictor.model.storageUri: storageUri [s3://b] is <bad> & "quoted" (KSV001)',
]


def test_text_is_a_line_per_finding_then_the_table() -> None:
    assert render(build(), "text").splitlines() == TEXT_FINDINGS + TABLE


def test_text_summary_is_the_table_only() -> None:
    assert render(build(), "text", summary=True).splitlines() == TABLE


def test_text_verbose_adds_hints_and_the_objects_without_errors() -> None:
    assert render(build(), "text", verbose=True).splitlines() == [
        *TEXT_FINDINGS,
        "  hint: use s3://",
        "[dev] ConfigMap/cfg: valid",  # a warning does not make an object invalid
        "[dev] Namespace/models-dev: valid",
        *TABLE,
    ]


def test_text_prints_markup_in_messages_rules_and_hints_literally() -> None:
    finding = Finding(
        "R[1]", "use [bold]x[/bold] \\[y]", path="a[b].yaml", line=2, object=CONFIGMAP, environment="dev", hint="[red]h[/red]"
    )
    out = render(Report([EnvironmentResult("dev", objects=1, findings=[finding])]), "text", verbose=True)
    assert out.splitlines()[:2] == ["a[b].yaml:2:1: error [dev] ConfigMap/cfg use [bold]x[/bold] \\[y] (R[1])", "  hint: [red]h[/red]"]


def test_text_colour_only_when_asked() -> None:
    report = Report([EnvironmentResult("dev", objects=1, findings=[Finding("R", "m", path="p.yaml", line=2, object=CONFIGMAP)]), EnvironmentResult("ok", objects=1)])
    assert "\x1b[" not in render(report, "text")
    coloured = render(report, "text", color=True).splitlines()
    assert coloured[0] == "p.yaml:2:1: \x1b[31merror\x1b[0m ConfigMap/cfg m (R)"
    assert coloured[-2].endswith("│ \x1b[31mfail\x1b[0m    ")
    assert coloured[-1].endswith("│ \x1b[32mpass\x1b[0m    ")
    warned = Report([EnvironmentResult("dev", findings=[Finding("R", "m", severity="warning", path="p.yaml", object=CONFIGMAP)])])
    assert render(warned, "text", color=True).splitlines()[0] == "p.yaml: \x1b[33mwarning\x1b[0m ConfigMap/cfg m (R)"


def test_text_of_a_finding_without_a_file() -> None:
    report = Report([EnvironmentResult("dev", findings=[Finding("R", "m", object=CONFIGMAP, line=3)])])
    assert render(report, "text").splitlines()[0] == "<unknown>: error ConfigMap/cfg m (R)"


@pytest.mark.parametrize(
    ("finding", "line"),
    [
        (Finding("R", "m", path="a.yaml", line=1, column=2), "a.yaml:1:2: error m (R)"),
        (Finding("R", "m", path="a.yaml", line=1, column=2, environment="dev"), "a.yaml:1:2: error [dev] m (R)"),
        (Finding("R", "m", path="a.yaml", line=1, column=2, environment="dev", json_path="waivers[0]"),
         "a.yaml:1:2: error [dev] waivers[0]: m (R)"),
        (Finding("R", "m", path="a.yaml", line=1, column=2, json_path="spec", object=CONFIGMAP),
         "a.yaml:1:2: error ConfigMap/cfg spec: m (R)"),
    ],
)
def test_text_puts_one_space_between_the_parts_a_finding_has(finding: Finding, line: str) -> None:
    assert render(Report([EnvironmentResult("dev", findings=[finding])]), "text").splitlines()[0] == line


# --- json ------------------------------------------------------------------------------------------------


def test_json_document() -> None:
    text = render(build(), "json")
    assert text.endswith("}\n")
    data = json.loads(text)
    assert list(data) == ["version", "exitCode", "environments", "findings"]
    assert data["version"] == 1 and data["exitCode"] == 1
    assert data["environments"] == [  # the report's order, not sorted
        {"name": "prod", "objects": 3, "models": 1, "errors": 0, "warnings": 0, "verdict": "pass"},
        {"name": "dev", "objects": 5, "models": 2, "errors": 2, "warnings": 1, "verdict": "fail"},
    ]
    assert [(f["rule"], f["line"]) for f in data["findings"]] == [("KSV002", 3), ("schema", 4), ("KSV001", 12)]
    assert data["findings"][2] == {
        "rule": "KSV001",
        "severity": "error",
        "message": 'storageUri [s3://b] is <bad> & "quoted"',
        "path": "overlays/dev/isvc.yaml",
        "line": 12,
        "column": 7,
        "jsonPath": "spec.predictor.model.storageUri",
        "object": {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "namespace": "models-dev", "name": "iris"},
        "environment": "dev",
        "engine": "kserve",
        "hint": "use s3://",
    }
    assert list(data["findings"][0]) == ["rule", "severity", "message", "path", "line", "column", "jsonPath", "object", "environment", "engine", "hint"]


def test_json_escapes_quotes_control_characters_and_non_ascii() -> None:
    report = Report([EnvironmentResult("dev", findings=[Finding("r", 'a "b"\n\tc \\ é', path="ü.yaml")])])
    text = render(report, "json")
    assert '"message": "a \\"b\\"\\n\\tc \\\\ \\u00e9",' in [line.strip() for line in text.splitlines()]
    assert '"path": "\\u00fc.yaml",' in [line.strip() for line in text.splitlines()]
    assert json.loads(text)["findings"][0]["message"] == 'a "b"\n\tc \\ é'


def test_json_of_an_input_error_report() -> None:
    class Bad:
        field, message, path, line, column, hint = "spec", "must be a mapping", "models/x/dev.yaml", 4, 2, "fix it"

    data = to_dict(input_error_report([Bad()]))
    assert data["exitCode"] == 2
    assert data["environments"] == [{"name": "inputs", "objects": 0, "models": 0, "errors": 1, "warnings": 0, "verdict": "fail"}]
    assert [(f["rule"], f["message"], f["path"], f["line"], f["column"], f["engine"], f["hint"]) for f in data["findings"]] == [
        ("input-error", "spec: must be a mapping", "models/x/dev.yaml", 4, 2, "inputs", "fix it")
    ]


# --- junit -----------------------------------------------------------------------------------------------


def test_junit_document() -> None:
    assert render(build(), "junit") == (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<testsuites name="kserve-gitops validate" tests="4" failures="1" errors="0" time="0">\n'
        '  <testsuite name="prod" tests="1" failures="0" errors="0" skipped="0" time="0">\n'
        '    <testcase name="3 objects without findings" classname="prod" time="0" />\n'
        "  </testsuite>\n"
        '  <testsuite name="dev" tests="3" failures="1" errors="0" skipped="0" time="0">\n'
        '    <testcase name="ConfigMap/cfg" classname="dev" time="0">\n'
        "      <system-out>warning: models/a b,c:d.yaml:3:1: 50% of\n"
        "requests (KSV002)</system-out>\n"
        "    </testcase>\n"
        '    <testcase name="InferenceService/models-dev/iris" classname="dev" time="0">\n'
        '      <failure message="bad type" type="schema">overlays/dev/isvc.yaml:4:1: bad type (schema)\n'
        "overlays/dev/isvc.yaml:12:7: spec.predictor.model.storageUri: storageUri [s3://b] is &lt;bad&gt; &amp; \"quoted\" (KSV001)</failure>\n"
        "    </testcase>\n"
        '    <testcase name="3 objects without findings" classname="dev" time="0" />\n'
        "  </testsuite>\n"
        "</testsuites>\n"
    )


def test_junit_escapes_attributes_and_parses_back_to_the_same_text() -> None:
    finding = Finding("r&<1>", 'say "<hi>" & \'bye\'', path="a.yaml", object=ObjectRef("v1", "ConfigMap", 'x"<y>'))
    xml = render(Report([EnvironmentResult("dev", objects=1, findings=[finding])]), "junit")
    assert '<failure message="say &quot;&lt;hi&gt;&quot; &amp; \'bye\'" type="r&amp;&lt;1&gt;">' in xml
    root = ET.fromstring(xml.split("\n", 1)[1])
    case = root.find("testsuite/testcase")
    assert case.get("name") == 'ConfigMap/x"<y>'
    assert case.find("failure").get("message") == 'say "<hi>" & \'bye\''
    assert case.find("failure").text == 'a.yaml: say "<hi>" & \'bye\' (r&<1>)'


def test_junit_groups_findings_without_an_object_by_location() -> None:
    env = EnvironmentResult(
        "f",
        objects=1,
        findings=[Finding("R", "m"), Finding("S", "n", path="x.yaml"), Finding("T", "w", severity="warning", path="x.yaml")],
    )
    root = to_xml(Report([EnvironmentResult("e"), env]))
    assert [(s.get("name"), s.get("tests"), s.get("failures")) for s in root] == [("e", "1", "0"), ("f", "2", "2")]
    # an environment that checked nothing still has a testcase: a suite is never empty
    assert [c.get("name") for c in root[0]] == ["0 objects without findings"]
    # more objects with findings than counted: no "without findings" case, never a negative count
    assert [c.get("name") for c in root[1]] == ["<unknown>", "x.yaml"]
    x = root[1][1]
    assert [child.tag for child in x] == ["failure", "system-out"]
    assert x.find("system-out").text == "warning: x.yaml: w (T)"
    assert (root.get("tests"), root.get("failures")) == ("3", "2")


def test_junit_of_an_empty_report() -> None:
    assert render(Report(), "junit") == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="kserve-gitops validate" tests="0" failures="0" errors="0" time="0" />\n'
    )


# --- sarif -----------------------------------------------------------------------------------------------


def test_sarif_document() -> None:
    sarif = json.loads(render(build(), "sarif"))
    assert sarif["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json" and sarif["version"] == "2.1.0"
    [run] = sarif["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["tool"]["driver"]["name"] == "kserve-gitops" and run["tool"]["driver"]["version"] == __version__
    # one rule per rule id that occurs, sorted; a rule the report has no description of is described by its id
    assert run["tool"]["driver"]["rules"] == [
        {"id": "KSV001", "name": "KSV001", "shortDescription": {"text": "storage"}, "help": {"text": HELP}},
        {"id": "KSV002", "name": "KSV002", "shortDescription": {"text": "KSV002"}, "help": {"text": HELP}},
        {"id": "schema", "name": "schema", "shortDescription": {"text": "schema!"}, "help": {"text": HELP}},
    ]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in run["results"]] == [("KSV002", 1, "warning"), ("schema", 2, "error"), ("KSV001", 0, "error")]
    assert run["results"][0] == {
        "ruleId": "KSV002",
        "ruleIndex": 1,
        "level": "warning",
        "message": {"text": "50% of\nrequests"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "models/a%20b%2Cc%3Ad.yaml", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 3, "startColumn": 1},  # column 0: the line's first column
                },
                "logicalLocations": [{"fullyQualifiedName": "dev/ConfigMap/cfg", "kind": "object"}],
            }
        ],
        "partialFingerprints": {"objectField/v1": "dev|ConfigMap/cfg||KSV002"},
    }
    ksv001 = run["results"][2]
    assert ksv001["message"] == {"text": 'storageUri [s3://b] is <bad> & "quoted"\nhint: use s3://'}
    assert ksv001["locations"][0]["logicalLocations"] == [
        {"fullyQualifiedName": "dev/InferenceService/models-dev/iris:spec.predictor.model.storageUri", "kind": "object"}
    ]
    assert ksv001["partialFingerprints"] == {"objectField/v1": "dev|InferenceService/models-dev/iris|spec.predictor.model.storageUri|KSV001"}


@pytest.mark.parametrize(
    "finding, locations",
    [
        (Finding("r", "m"), None),  # nowhere to point: no locations at all
        (Finding("r", "m", path="a.yaml"), [{"physicalLocation": {"artifactLocation": {"uri": "a.yaml", "uriBaseId": "%SRCROOT%"}}}]),
        (
            Finding("r", "m", path="models\\iris\\dev #1.yaml", line=2, column=9),
            [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "models/iris/dev%20%231.yaml", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 2, "startColumn": 9},
                    }
                }
            ],
        ),
        (Finding("r", "m", object=NAMESPACE), [{"logicalLocations": [{"fullyQualifiedName": "Namespace/models-dev", "kind": "object"}]}]),
    ],
)
def test_sarif_locations(finding: Finding, locations) -> None:
    [result] = to_sarif(Report([EnvironmentResult("", findings=[finding])]))["runs"][0]["results"]
    assert result.get("locations") == locations


def test_sarif_levels_and_an_empty_run() -> None:
    report = Report([EnvironmentResult("dev", findings=[Finding("a", "m", severity=s) for s in ("error", "warning", "waived")])])
    assert [r["level"] for r in to_sarif(report)["runs"][0]["results"]] == ["error", "warning", "note"]
    empty = to_sarif(Report())["runs"][0]
    assert (empty["results"], empty["tool"]["driver"]["rules"]) == ([], [])


# --- github ----------------------------------------------------------------------------------------------


def test_github_document() -> None:
    assert render(build(), "github").splitlines() == [
        "::warning file=models/a b%2Cc%3Ad.yaml,line=3,col=1,title=KSV002::[dev] ConfigMap/cfg 50%25 of%0Arequests",
        "::error file=overlays/dev/isvc.yaml,line=4,col=1,title=schema::[dev] InferenceService/models-dev/iris bad type",
        "::error file=overlays/dev/isvc.yaml,line=12,col=7,title=KSV001::[dev] InferenceService/models-dev/iris "
        'spec.predictor.model.storageUri: storageUri [s3://b] is <bad> & "quoted"%0Ahint: use s3://',
        "prod: 3 objects, 0 errors, 0 warnings: pass",
        "dev: 5 objects, 2 errors, 1 warnings: fail",
    ]


@pytest.mark.parametrize(
    "text, data, prop",
    [
        ("plain", "plain", "plain"),
        ("100%", "100%25", "100%25"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),  # an escape sequence in the text is not read as one
    ],
)
def test_github_escaping(text: str, data: str, prop: str) -> None:
    assert escape_data(text) == data
    assert escape_property(text) == prop


@pytest.mark.parametrize(
    "finding, line",
    [
        (Finding("r", "m"), "::error title=r::m"),
        (Finding("r", "m", path="a.yaml"), "::error file=a.yaml,title=r::m"),  # no line: no line or col either
        (Finding("r", "m", path="a.yaml", line=5), "::error file=a.yaml,line=5,col=1,title=r::m"),
        (Finding("r", "m", severity="warning", environment="prod"), "::warning title=r::[prod] m"),
        (Finding("r", "m", severity="waived"), "::notice title=r::m"),
        (Finding("a:b,c", "m", json_path="spec.x"), "::error title=a%3Ab%2Cc::spec.x: m"),
    ],
)
def test_github_annotation(finding: Finding, line: str) -> None:
    assert annotation(finding) == line


def test_github_of_an_empty_report_is_empty() -> None:
    assert render(Report(), "github") == ""
