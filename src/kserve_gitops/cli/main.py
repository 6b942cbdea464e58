"""The ``kserve-gitops`` command. Thin: parse options, call the pipeline, print, exit.

Exit codes: 0 clean, 1 findings, 2 bad usage or unreadable input, 3 a missing tool or environment problem.
"""

from __future__ import annotations

import sys
import traceback

import click
from rich.markup import escape

from .. import __version__
from ..credentials import redact
from ..errors import EXIT_ENVIRONMENT, EXIT_INPUT, KserveGitopsError
from .common import State, console_err

EPILOG = "Exit codes: 0 clean, 1 findings, 2 bad usage or unreadable input, 3 missing tool or environment problem."


class Group(click.Group):
    """Turns every error into a message and an exit code; a traceback only with --debug."""

    def main(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("standalone_mode", True)
        debug = "--debug" in sys.argv
        try:
            return super().main(*args, standalone_mode=False, **{k: v for k, v in kwargs.items() if k != "standalone_mode"})
        except KserveGitopsError as exc:
            if debug:
                traceback.print_exc()
            console_err().print(f"[bold red]error:[/] {escape(redact(str(exc)))}", markup=True, highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_INPUT)
        except click.exceptions.Abort:
            console_err().print("interrupted; nothing was written")
            sys.exit(130)
        except KeyboardInterrupt:
            console_err().print("interrupted; nothing was written")
            sys.exit(130)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:  # a bug must never look like a pass
            if debug:
                traceback.print_exc()
            console_err().print(f"internal error: {type(exc).__name__}: {redact(str(exc))} (run with --debug for the traceback)", markup=False)
            sys.exit(EXIT_ENVIRONMENT)


@click.group(cls=Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kserve-gitops")
@click.option("--repo", "repo", default=".", type=click.Path(file_okay=False), help="The platform repository (default: .).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, repo: str, debug: bool) -> None:
    """Run KServe model serving the GitOps way: synth, render, validate and operate from git."""
    ctx.obj = State(repo=repo, debug=debug)


def main() -> None:
    cli(prog_name="kserve-gitops")


# Each module registers its command on ``cli``; imported last because they import ``cli`` from here.
from . import (  # noqa: E402,F401
    diff_cmd,
    init_cmd,
    lifecycle_cmd,
    model_cmd,
    policy_cmd,
    render_cmd,
    schemas_cmd,
    synth_cmd,
    tools_cmd,
    validate_cmd,
)
