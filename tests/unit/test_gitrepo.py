"""operate/gitrepo against real git in temporary repositories: git's output and failures, the work tree's
root, revisions to commits, and a worktree at a revision that holds the committed files only and is gone
afterwards whatever happened inside it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from kserve_gitops.errors import ToolFailed, ToolNotFound, UsageError
from kserve_gitops.operate import gitrepo


@pytest.fixture(autouse=True)
def hermetic_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git config, untranslated messages, no repository above tmp_path, temp folders
    inside tmp_path."""
    monkeypatch.setenv("LC_ALL", "C")
    (tmp_path / "gitconfig").write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.delenv("KSERVE_GITOPS_GIT", raising=False)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))


def run(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit_all(repo: Path, message: str) -> str:
    run(repo, "add", "-A")
    run(repo, "commit", "-q", "-m", message)
    return run(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Two commits of models/iris/inferenceservice.yaml (v1, then v2), tagged v1 (annotated) and branch main."""
    root = tmp_path / "platform"
    (root / "models" / "iris").mkdir(parents=True)
    run(root, "init", "-q", "-b", "main")
    run(root, "config", "user.name", "Platform Team")
    run(root, "config", "user.email", "platform@example.com")
    (root / "models" / "iris" / "inferenceservice.yaml").write_text("storageUri: s3://b/v1\n")
    commit_all(root, "iris v1")
    run(root, "tag", "-a", "v1", "-m", "first release")
    (root / "models" / "iris" / "inferenceservice.yaml").write_text("storageUri: s3://b/v2\n")
    commit_all(root, "iris v2")
    return root


# --- git() -----------------------------------------------------------------------------------------------


def test_git_returns_stdout_as_text(repo: Path) -> None:
    assert gitrepo.git(["log", "--format=%s|%an|%ae"], cwd=repo) == "iris v2|Platform Team|platform@example.com\niris v1|Platform Team|platform@example.com\n"
    assert gitrepo.git(["show", "HEAD~1:models/iris/inferenceservice.yaml"], cwd=repo) == "storageUri: s3://b/v1\n"
    assert gitrepo.git(["show", "v1:models/iris/inferenceservice.yaml"], cwd=repo) == "storageUri: s3://b/v1\n"


def test_git_decodes_bytes_that_are_not_utf8(repo: Path) -> None:
    (repo / "latin1.txt").write_bytes(b"caf\xe9\n")
    commit_all(repo, "latin-1")
    assert gitrepo.git(["show", "HEAD:latin1.txt"], cwd=repo) == "caf\ufffd\n"


def test_a_failing_git_is_tool_failed_with_its_stderr(repo: Path) -> None:
    with pytest.raises(ToolFailed) as caught:
        gitrepo.git(["show", "HEAD:no/such/file.yaml"], cwd=repo)
    error = caught.value
    assert error.message == "git failed (exit 128)"
    assert error.command[1:] == ["show", "HEAD:no/such/file.yaml"]
    assert "no/such/file.yaml" in error.stderr and "does not exist" in error.stderr
    assert str(error).startswith("git failed (exit 128)\n  fatal: ")


def test_check_false_returns_what_git_printed_despite_the_exit_code(repo: Path) -> None:
    # `git diff --exit-code` exits 1 when the tree differs: the caller asked for the output, not a verdict
    (repo / "models" / "iris" / "inferenceservice.yaml").write_text("storageUri: s3://b/v3\n")
    out = gitrepo.git(["diff", "--exit-code", "--stat"], cwd=repo, check=False)
    assert out == " models/iris/inferenceservice.yaml | 2 +-\n 1 file changed, 1 insertion(+), 1 deletion(-)\n"


def test_git_named_by_the_environment_must_be_an_executable(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSERVE_GITOPS_GIT", str(tmp_path / "no-git"))
    with pytest.raises(ToolNotFound) as caught:
        gitrepo.git(["status"], cwd=repo)
    assert str(caught.value) == f"KSERVE_GITOPS_GIT={tmp_path / 'no-git'} is not an executable file"


# --- toplevel() and resolve() ----------------------------------------------------------------------------


def test_toplevel_is_the_work_tree_root_from_any_folder_inside(repo: Path) -> None:
    assert gitrepo.toplevel(repo) == repo
    assert gitrepo.toplevel(repo / "models" / "iris") == repo
    assert gitrepo.toplevel(str(repo / "models")) == repo


def test_toplevel_outside_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    with pytest.raises(UsageError) as caught:
        gitrepo.toplevel(outside)
    assert str(caught.value) == (
        f"{outside}: is not inside a git repository\n"
        "  hint: 'kserve-gitops diff' compares git revisions; run 'git init' first"
    )


def test_resolve_names_the_commit_of_a_branch_tag_or_short_id(repo: Path) -> None:
    head = run(repo, "rev-parse", "HEAD").strip()
    first = run(repo, "rev-parse", "HEAD~1").strip()
    assert gitrepo.resolve("HEAD", cwd=repo) == head
    assert gitrepo.resolve("main", cwd=repo) == head
    assert gitrepo.resolve(head[:10], cwd=repo) == head
    assert gitrepo.resolve("HEAD~1", cwd=repo) == first
    # an annotated tag names a tag object; resolve answers with the commit it points at
    assert run(repo, "rev-parse", "v1").strip() != first
    assert gitrepo.resolve("v1", cwd=repo) == first


@pytest.mark.parametrize("ref", ["origin/main", "HEAD~5", "no-such-branch"])
def test_resolve_of_a_missing_revision_is_a_usage_error(repo: Path, ref: str) -> None:
    with pytest.raises(UsageError) as caught:
        gitrepo.resolve(ref, cwd=repo)
    assert str(caught.value) == (
        f"git revision {ref!r} does not exist\n  hint: pass --base with a branch, tag or commit (e.g. origin/main)"
    )


def test_resolve_refuses_an_object_that_is_not_a_commit(repo: Path) -> None:
    tree = run(repo, "rev-parse", "HEAD^{tree}").strip()
    with pytest.raises(UsageError):
        gitrepo.resolve(tree, cwd=repo)


def test_resolve_in_a_repository_without_commits(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run(empty, "init", "-q", "-b", "main")
    with pytest.raises(UsageError) as caught:
        gitrepo.resolve("HEAD", cwd=empty)
    assert caught.value.message == "git revision 'HEAD' does not exist"


# --- worktree() ------------------------------------------------------------------------------------------


def worktrees(repo: Path) -> list[str]:
    return [line for line in run(repo, "worktree", "list", "--porcelain").splitlines() if line.startswith("worktree ")]


def test_a_worktree_holds_the_files_of_the_revision(repo: Path) -> None:
    with gitrepo.worktree("v1", cwd=repo) as tree:
        assert (tree / "models" / "iris" / "inferenceservice.yaml").read_text() == "storageUri: s3://b/v1\n"
        assert run(tree, "rev-parse", "HEAD").strip() == run(repo, "rev-parse", "HEAD~1").strip()
        detached = subprocess.run(["git", "symbolic-ref", "-q", "HEAD"], cwd=tree, capture_output=True)
        assert detached.returncode == 1  # detached: no branch is checked out twice
        assert len(worktrees(repo)) == 2
    assert not tree.exists() and not tree.parent.exists()
    assert worktrees(repo) == [f"worktree {repo}"]


def test_a_dirty_work_tree_is_neither_copied_nor_touched(repo: Path) -> None:
    model = repo / "models" / "iris" / "inferenceservice.yaml"
    model.write_text("storageUri: s3://b/uncommitted\n")
    (repo / "models" / "new.yaml").write_text("untracked: true\n")
    run(repo, "add", "models/new.yaml")
    (repo / "scratch.txt").write_text("not added\n")
    status = run(repo, "status", "--porcelain")
    assert status == " M models/iris/inferenceservice.yaml\nA  models/new.yaml\n?? scratch.txt\n"
    with gitrepo.worktree("HEAD", cwd=repo) as tree:
        assert (tree / "models" / "iris" / "inferenceservice.yaml").read_text() == "storageUri: s3://b/v2\n"
        assert not (tree / "models" / "new.yaml").exists()  # staged but not committed
        assert not (tree / "scratch.txt").exists()
        assert run(tree, "status", "--porcelain") == ""
    assert run(repo, "status", "--porcelain") == status
    assert model.read_text() == "storageUri: s3://b/uncommitted\n"


def test_changes_made_inside_the_worktree_are_discarded_with_it(repo: Path) -> None:
    with gitrepo.worktree("HEAD", cwd=repo) as tree:
        (tree / "models" / "iris" / "inferenceservice.yaml").write_text("edited in the worktree\n")
        (tree / "rendered").mkdir()
        (tree / "rendered" / "out.yaml").write_text("kind: List\n")
    assert not tree.exists()
    assert worktrees(repo) == [f"worktree {repo}"]
    assert run(repo, "status", "--porcelain") == ""


def test_the_worktree_is_removed_when_the_body_raises(repo: Path) -> None:
    with pytest.raises(RuntimeError, match="render failed"):
        with gitrepo.worktree("main", cwd=repo) as tree:
            raise RuntimeError("render failed")
    assert not tree.parent.exists()
    assert worktrees(repo) == [f"worktree {repo}"]
    assert run(repo, "branch", "--list") == "* main\n"


def test_worktrees_live_in_their_own_temporary_folders(repo: Path) -> None:
    with gitrepo.worktree("HEAD", cwd=repo) as one, gitrepo.worktree("v1", cwd=repo) as two:
        assert one.name == two.name == "tree"
        assert one.parent != two.parent
        assert one.parent.name.startswith("kserve-gitops-base-") and two.parent.name.startswith("kserve-gitops-base-")
        assert Path(tempfile.gettempdir()) in one.parents
        assert len(worktrees(repo)) == 3
    assert worktrees(repo) == [f"worktree {repo}"]
    assert list(Path(tempfile.gettempdir()).iterdir()) == []


def test_a_worktree_of_a_missing_revision_creates_nothing(repo: Path) -> None:
    with pytest.raises(UsageError):
        with gitrepo.worktree("no-such-ref", cwd=repo):
            pass  # pragma: no cover - never entered
    assert list(Path(tempfile.gettempdir()).iterdir()) == []
    assert worktrees(repo) == [f"worktree {repo}"]


def test_a_worktree_removed_behind_its_back_is_still_pruned(repo: Path) -> None:
    with gitrepo.worktree("HEAD", cwd=repo) as tree:
        shutil.rmtree(tree)  # e.g. a clean-up of the temp folder while the diff ran
    assert worktrees(repo) == [f"worktree {repo}"]
