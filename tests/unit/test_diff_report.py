"""report/diff.py: ``diff``'s result (hand-built data, no git, no kustomize) printed as text and as a
markdown PR comment, byte for byte."""

from __future__ import annotations

import pytest

from kserve_gitops.errors import UsageError
from kserve_gitops.report.diff import FORMATTERS, MARKDOWN_LIMIT, format_markdown, format_result, format_text
from kserve_gitops.results import DiffResult, EnvironmentDiff, ObjectChange

ISVC = ("serving.kserve.io", "InferenceService", "models-prod", "iris")
UNIFIED = (
    "--- a/InferenceService/models-prod/iris\n"
    "+++ b/InferenceService/models-prod/iris\n"
    "@@ -1 +1 @@\n"
    "-canaryTrafficPercent: 10\n"
    "+canaryTrafficPercent: 50\n"
)


def result(*, summary: list[str] | None = None, diff: str = UNIFIED) -> DiffResult:
    prod = EnvironmentDiff(
        "prod",
        changes=[
            ObjectChange("added", ("", "ConfigMap", "", "settings")),
            ObjectChange("changed", ISVC, diff),
            ObjectChange("removed", ("apps", "Deployment", "models-prod", "old")),
        ],
        summary=["iris canary 10% → 50%"],
    )
    dev = EnvironmentDiff("dev")  # unchanged: no section of its own
    return DiffResult("origin/main", "0123456789abcdef0123", [prod, dev], ["prod: iris canary 10% → 50%"] if summary is None else summary)


def test_text() -> None:
    assert format_text(result()) == (
        "kserve-gitops diff: origin/main (0123456789ab) → working tree\n"
        "\n"
        "summary:\n"
        "  prod: iris canary 10% → 50%\n"
        "\n"
        "prod: 1 added, 1 changed, 1 removed\n"
        "  added    ConfigMap/settings\n"
        "  changed  InferenceService/models-prod/iris\n"
        "  removed  Deployment/models-prod/old\n"
        "\n" + UNIFIED
    )


def test_text_without_semantic_lines_or_changes() -> None:
    assert "summary:\n  (no semantic changes)\n" in format_text(result(summary=[]))
    unchanged = DiffResult("HEAD", "abc", [EnvironmentDiff("dev")], [])
    assert format_text(unchanged) == "kserve-gitops diff: HEAD (abc) → working tree\n\nno changes to any environment\n"


def test_markdown() -> None:
    assert format_markdown(result()) == (
        "### kserve-gitops diff\n"
        "\n"
        "Base `origin/main` (`0123456789ab`) → this change.\n"
        "\n"
        "- prod: iris canary 10% → 50%\n"
        "\n"
        "| environment | added | changed | removed |\n"
        "|---|---:|---:|---:|\n"
        "| prod | 1 | 1 | 1 |\n"
        "\n"
        "<details><summary><b>prod</b>: 3 object(s)</summary>\n"
        "\n"
        "- added `ConfigMap/settings`\n"
        "- changed `InferenceService/models-prod/iris`\n"
        "- removed `Deployment/models-prod/old`\n"
        "\n"
        "```diff\n" + UNIFIED + "```\n"
        "\n"
        "</details>\n"
    )


def test_markdown_escapes_what_would_break_the_comment() -> None:
    text = format_markdown(result(summary=["prod: a | b <c>"], diff="+```\n"))
    assert "- prod: a \\| b &lt;c>\n" in text  # no table cell, no HTML tag
    assert "```diff\n+ˋˋˋ\n```\n" in text  # a fence in the diff does not close the block
    assert format_markdown(result(summary=[])).count("- no semantic changes\n") == 1
    unchanged = DiffResult("HEAD", "abc", [EnvironmentDiff("dev")], [])
    assert format_markdown(unchanged).endswith("No changes to any environment.\n")


def test_markdown_too_long_for_a_comment_keeps_the_summary_and_table() -> None:
    text = format_markdown(result(diff="+" + "x" * MARKDOWN_LIMIT + "\n"))
    assert len(text) < MARKDOWN_LIMIT
    assert "| prod | 1 | 1 | 1 |\n" in text and "<details>" not in text
    assert text.endswith("\n\n_The object diffs are too long for a comment; run `kserve-gitops diff` locally._\n")


def test_format_result_by_name() -> None:
    assert sorted(FORMATTERS) == ["markdown", "text"]
    assert format_result(result(), "text") == format_text(result())
    with pytest.raises(UsageError, match="unknown output format 'json'"):
        format_result(result(), "json")


def test_the_data_itself() -> None:
    data = result()
    assert data.changed and not DiffResult("HEAD", "", [EnvironmentDiff("dev")], []).changed
    assert [env.count("added") for env in data.environments] == [1, 0]
    assert ObjectChange("added", ("", "Namespace", "", "models")).label == "Namespace/models"
    data.environments[0].admission.append("prod: KServe v0.14.1 refuses InferenceService/models-prod/iris (CREATE, r): no")
    assert data.refused
