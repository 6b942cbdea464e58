"""A minimal platform repo in a temp folder, for the tests of the inputs layer: kserve-gitops.yaml with the
environments asked for, model files put by relative path, and the loaders run on it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from kserve_gitops.errors import EXIT_INPUT, ModelError
from kserve_gitops.inputs import yamlsrc
from kserve_gitops.inputs.config import load_config
from kserve_gitops.inputs.models import Model, load_models

ISVC = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: iris
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: s3://models-dev/iris/v1
"""

BASE = "models/iris/inferenceservice.yaml"


def platform_config(*environments: str, promotion_order: bool = True) -> str:
    """kserve-gitops.yaml with one environment per name (cluster, KServe v0.20.0, namespace ``ml-<env>``,
    bucket ``models-<env>``), promoted in the order given."""
    lines = ["apiVersion: kserve-gitops.io/v1alpha1", "kind: Platform", "project: acme", "environments:"]
    for env in environments:
        lines += [
            f"  {env}:",
            f"    cluster: {{name: {env}, server: https://{env}.example}}",
            "    kserve: {version: v0.20.0}",
            f"    namespaces: [ml-{env}]",
            f"    storage: {{bucket: models-{env}, region: us-east-1}}",
        ]
    if promotion_order:
        lines.append(f"promotionOrder: [{', '.join(environments)}]")
    return "\n".join(lines) + "\n"


def new_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, config: str) -> Iterator[Path]:
    """The body of a ``repo`` fixture: ``<tmp>/platform`` holding ``config``, as the working directory, with
    the process-wide positions cache empty before and after."""
    root = tmp_path / "platform"
    root.mkdir()
    (root / "kserve-gitops.yaml").write_text(config)
    monkeypatch.chdir(root)
    yamlsrc.clear_position_cache()
    yield root
    yamlsrc.clear_position_cache()


def put(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def load(root: Path) -> list[Model]:
    return load_models(load_config(root / "kserve-gitops.yaml"), root)


def refused(root: Path, files: dict[str, str]) -> ModelError:
    put(root, files)
    with pytest.raises(ModelError) as err:
        load(root)
    assert err.value.exit_code == EXIT_INPUT
    return err.value
