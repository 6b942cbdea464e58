"""Entry point for `cdk8s synth` (see cdk8s.yaml): builds the same charts and lets cdk8s write dist/."""

from __future__ import annotations

from pathlib import Path


from .app import build_app, load_inputs


def main() -> None:
    config, models = load_inputs(Path("."))
    app = build_app(config, models, outdir="dist")
    app.synth()


if __name__ == "__main__":
    main()
