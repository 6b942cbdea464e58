"""Day-to-day operations on a platform repo, as edits to files in git: canary, promote, rollback,
migrate, the pull-request diff and ``init``. Nothing here prints; the CLI does."""
