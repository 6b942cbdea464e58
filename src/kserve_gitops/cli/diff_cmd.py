"""``diff``: every environment rendered at a base git ref and at the working tree, compared."""

from __future__ import annotations

import sys

import click

from ..errors import EXIT_FINDINGS
from ..operate.diff import diff_repo
from ..report.diff import FORMATTERS, format_result
from .common import State, console


@click.command()
@click.option("--base", default="HEAD", show_default=True, help="The git ref to compare with (a PR's target, e.g. origin/main).")
@click.option("-o", "--output", type=click.Choice(sorted(FORMATTERS)), default="text", show_default=True, help="text, or markdown for a PR comment.")
@click.option("--exit-code", is_flag=True, help="Exit 1 when any environment changes (like 'git diff --exit-code').")
@click.option("--no-admission", is_flag=True, help="Do not run the changed objects through KServe's webhooks and CEL rules.")
@click.pass_obj
def diff(state: State, base: str, output: str, exit_code: bool, no_admission: bool) -> None:
    """Show what the working tree changes in every environment, compared with --base.

    Renders each environment at both revisions and lists added, removed and changed objects with a
    unified diff each, after a summary such as "prod: sklearn-iris canary 10% → 50%". What the
    environment's KServe release would refuse in the change (added objects as CREATEs, changed ones as
    UPDATEs of their base version) leads the summary.
    """
    result = diff_repo(state.root, base=base, admission=not no_admission)
    console().print(format_result(result, output), markup=False, end="", soft_wrap=True)
    if exit_code and result.changed:
        sys.exit(EXIT_FINDINGS)
