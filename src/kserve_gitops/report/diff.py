"""``diff``'s result as text: the terminal view and a markdown PR comment.

Pure functions from ``results.DiffResult`` (computed by operate/diff.py) to a string; the CLI prints it.
"""

from __future__ import annotations

from ..errors import UsageError
from ..results import DiffResult


def format_text(result: DiffResult) -> str:
    lines = [f"kserve-gitops diff: {result.base_ref} ({result.base_commit[:12]}) → working tree", ""]
    if not result.changed:
        return "\n".join([*lines, "no changes to any environment"]) + "\n"
    lines.append("summary:")
    lines += [f"  {line}" for line in result.summary] or ["  (no semantic changes)"]
    for env in result.environments:
        if not env.changes:
            continue
        lines += ["", f"{env.name}: {env.count('added')} added, {env.count('changed')} changed, {env.count('removed')} removed"]
        for change in env.changes:
            lines.append(f"  {change.status:8} {change.label}")
        for change in env.changes:
            if change.status == "changed":
                lines += ["", change.diff.rstrip("\n")]
    return "\n".join(lines) + "\n"


MARKDOWN_LIMIT = 60000  # GitHub rejects comments over 65536 characters


def format_markdown(result: DiffResult) -> str:
    head = ["### kserve-gitops diff", "", f"Base `{result.base_ref}` (`{result.base_commit[:12]}`) → this change.", ""]
    if not result.changed:
        return "\n".join([*head, "No changes to any environment."]) + "\n"
    head += [f"- {_md_escape(line)}" for line in result.summary] or ["- no semantic changes"]
    head.append("")
    head += ["| environment | added | changed | removed |", "|---|---:|---:|---:|"]
    for env in result.environments:
        if env.changes:
            head.append(f"| {env.name} | {env.count('added')} | {env.count('changed')} | {env.count('removed')} |")
    body: list[str] = []
    for env in result.environments:
        if not env.changes:
            continue
        body += ["", f"<details><summary><b>{env.name}</b>: {len(env.changes)} object(s)</summary>", ""]
        for change in env.changes:
            body.append(f"- {change.status} `{change.label}`")
        for change in env.changes:
            if change.status == "changed":
                body += ["", "```diff", change.diff.rstrip("\n").replace("```", "ˋˋˋ"), "```"]
        body += ["", "</details>"]
    text = "\n".join(head + body) + "\n"
    if len(text) > MARKDOWN_LIMIT:
        text = "\n".join(head) + "\n\n_The object diffs are too long for a comment; run `kserve-gitops diff` locally._\n"
    return text


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


FORMATTERS = {"text": format_text, "markdown": format_markdown}


def format_result(result: DiffResult, output: str) -> str:
    if output not in FORMATTERS:
        raise UsageError(f"unknown output format {output!r} (choose: {', '.join(FORMATTERS)})")
    return FORMATTERS[output](result)
