"""The ``kserve-gitops`` command. Thin: parse options, call the pipeline, print, exit.

Exit codes: 0 clean, 1 findings, 2 bad usage or unreadable input, 3 a missing tool or environment problem.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click

from .. import __version__
from ..errors import EXIT_ENVIRONMENT, EXIT_INPUT, KserveGitopsError
from .common import State

EPILOG = "Exit codes: 0 clean, 1 findings, 2 bad usage or unreadable input, 3 missing tool or environment problem."

# Each command lives in its own module, imported only when it runs: `kserve-gitops --help` and a typo cost
# no cdk8s/jsii (Node.js), no jsonschema, no Rego engine. The short help here is what `--help` lists.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "canary": ("lifecycle_cmd", "canary", "Start a canary of MODEL in one environment, or shift its traffic."),
    "diff": ("diff_cmd", "diff", "Show what the working tree changes in every environment, compared with --base."),
    "init": ("init_cmd", "init", "Scaffold a platform repo in DIRECTORY."),
    "migrate": ("lifecycle_cmd", "migrate", "Rewrite legacy InferenceServices into the current v1beta1 form, keeping comments."),
    "model": ("model_cmd", "model", "Add model versions to the platform repository."),
    "policy": ("policy_cmd", "policy", "Rego policies: run their tests, list the rules, evaluate files."),
    "promote": ("lifecycle_cmd", "promote", "Send all of MODEL's traffic to its canary in one environment."),
    "render": ("render_cmd", "render_command", "Render overlays/ENVIRONMENT with kustomize and print the manifests."),
    "rollback": ("lifecycle_cmd", "rollback", "Drop MODEL's canary in one environment and restore the stable version."),
    "schemas": ("schemas_cmd", "schemas", "Fill the repo's schemas/ folder with CRDs that validate reads."),
    "synth": ("synth_cmd", "synth", "Synthesize charts/ and overlays/ from kserve-gitops.yaml and models/."),
    "tools": ("tools_cmd", "tools", "The external tools kserve-gitops drives, built from pinned versions."),
    "validate": ("validate_cmd", "validate", "Validate rendered environments or files against schemas and checks."),
}


def _console_err():
    from .common import console_err

    return console_err()


def _redact(text: str) -> str:
    from ..credentials import redact

    return redact(text)


def _interrupted() -> None:
    """Ctrl-C: the finally blocks on the way here dropped staged output. Exit at once: Ctrl-C reached
    cdk8s' Node.js process too, and jsii's exit handler would print a traceback writing to it."""
    _console_err().print("interrupted; nothing was written")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


class Group(click.Group):
    """Loads each subcommand on first use; turns every error into a message and an exit code (a
    traceback only with --debug)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        command = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
        command.name = name
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][2]) for name in self.list_commands(ctx)])

    def main(self, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("standalone_mode", True)
        debug = "--debug" in sys.argv
        try:
            return super().main(*args, standalone_mode=False, **{k: v for k, v in kwargs.items() if k != "standalone_mode"})
        except KserveGitopsError as exc:
            if debug:
                traceback.print_exc()
            from rich.markup import escape

            _console_err().print(f"[bold red]error:[/] {escape(_redact(str(exc)))}", markup=True, highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_INPUT)
        except (click.exceptions.Abort, KeyboardInterrupt):
            _interrupted()
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:  # a bug must never look like a pass
            if debug:
                traceback.print_exc()
            _console_err().print(f"internal error: {type(exc).__name__}: {_redact(str(exc))} (run with --debug for the traceback)", markup=False)
            sys.exit(EXIT_ENVIRONMENT)


@click.group(cls=Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kserve-gitops")
@click.option("--repo", "repo", default=".", type=click.Path(file_okay=False), help="The platform repository (default: .).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--max-file-size", "max_file_size", default="64Mi", show_default=True, envvar="KSERVE_GITOPS_MAX_FILE_SIZE", metavar="SIZE",
              help="Largest input file read, e.g. 200Mi ($KSERVE_GITOPS_MAX_FILE_SIZE).")
@click.pass_context
def cli(ctx: click.Context, repo: str, debug: bool, max_file_size: str) -> None:
    """Run KServe model serving the GitOps way: synth, render, validate and operate from git."""
    from ..inputs.yamlsrc import parse_size, set_max_file_bytes

    try:
        set_max_file_bytes(parse_size(max_file_size))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--max-file-size") from None
    ctx.obj = State(repo=repo, debug=debug)


def main() -> None:
    cli(prog_name="kserve-gitops")
