"""Positions are cached per file, not per path string: a file rewritten in the same process, or the same
relative path read from another folder, gives the positions of what is there now."""

from __future__ import annotations

from pathlib import Path

import pytest

from kserve_gitops.inputs.yamlsrc import positions_for


def test_a_rewritten_file_gets_new_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text("spec:\n  replicas: 1\n")
    assert positions_for("m.yaml").locate(0, ["spec", "replicas"]) == (2, 3, True)
    Path("m.yaml").write_text("# a comment moves everything down\nspec:\n\n    replicas: 1\n")
    assert positions_for("m.yaml").locate(0, ["spec", "replicas"]) == (4, 5, True)


def test_the_same_relative_path_in_another_folder_is_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, text in {"a": "spec:\n  replicas: 1\n", "b": "kind: X\nspec:\n  other: 2\n  replicas: 1\n"}.items():
        (tmp_path / name / "models").mkdir(parents=True)
        (tmp_path / name / "models" / "m.yaml").write_text(text)
    monkeypatch.chdir(tmp_path / "a")
    assert positions_for("models/m.yaml").locate(0, ["spec", "replicas"]) == (2, 3, True)
    monkeypatch.chdir(tmp_path / "b")
    assert positions_for("models/m.yaml").locate(0, ["spec", "replicas"]) == (4, 3, True)


def test_an_unchanged_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text("a: 1\n")
    assert positions_for("m.yaml") is positions_for("m.yaml")


def test_a_missing_file_has_no_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert positions_for("gone.yaml").locate(0, ["a"]) == (1, 1, False)


def test_only_the_recent_files_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run (the lifecycle commands' temporary repos) must not keep every node tree it composed."""
    from kserve_gitops.inputs import yamlsrc

    monkeypatch.chdir(tmp_path)
    yamlsrc.clear_position_cache()
    for i in range(yamlsrc.POSITIONS_KEPT + 10):
        Path(f"f{i}.yaml").write_text(f"a: {i}\n")
        positions_for(f"f{i}.yaml")
    assert len(yamlsrc._positions_cache) == yamlsrc.POSITIONS_KEPT
    first = positions_for(f"f{yamlsrc.POSITIONS_KEPT + 9}.yaml")
    assert positions_for(f"f{yamlsrc.POSITIONS_KEPT + 9}.yaml") is first  # the recent ones are still hits
