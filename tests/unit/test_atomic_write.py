"""write_text_atomic: the file holds the old text or the new, keeps its mode, and no temporary file is left
behind when the write fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kserve_gitops.operate import atomic
from kserve_gitops.operate.atomic import write_text_atomic


def test_writes_new_files_and_folders_and_keeps_line_endings(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "model.yaml"
    write_text_atomic(target, "a: 1\r\nb: 2\n")
    assert target.read_bytes() == b"a: 1\r\nb: 2\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.yaml"]


def test_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old\n")
    target.chmod(0o750)
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n" and (target.stat().st_mode & 0o777) == 0o750


def test_a_failed_write_leaves_the_old_text_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "model.yaml"
    target.write_text("old\n")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError):
        write_text_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["model.yaml"]
