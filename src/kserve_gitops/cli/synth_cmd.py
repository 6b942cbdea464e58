from __future__ import annotations

import sys

import click

from ..errors import EXIT_FINDINGS
from .common import State, console, console_err


@click.command()
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list the stale files if the committed output is out of date.")
@click.option("--strict", is_flag=True, help="Duplicate keys in the inputs are errors (exit 2), not warnings.")
@click.pass_obj
def synth(state: State, check: bool, strict: bool) -> None:
    """Synthesize charts/ and overlays/ from kserve-gitops.yaml and models/."""
    from ..synth.app import synth_repo  # imports cdk8s, which starts Node.js: only when synthesizing

    def warn(problem: Exception) -> None:
        console_err().print(f"warning: {problem}", markup=False)

    drift = synth_repo(state.root, check=check, strict=strict, warn=warn)
    out = console()
    if check:
        if drift:
            out.print(f"synth output is out of date ({len(drift.files)} file(s)); run 'kserve-gitops synth' and commit:")
            for label, paths in (("added", drift.added), ("removed", drift.removed), ("changed", drift.changed)):
                for path in paths:
                    out.print(f"  {label:8} {path}")
            sys.exit(EXIT_FINDINGS)
        out.print("synth output is up to date")
        return
    if drift:
        out.print(
            f"wrote charts/ and overlays/: {len(drift.added)} added, {len(drift.changed)} changed, {len(drift.removed)} removed"
        )
    else:
        out.print("charts/ and overlays/ are already up to date")
