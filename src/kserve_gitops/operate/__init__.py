"""Day-to-day operations on a platform repo, as edits to files in git: canary, promote, rollback,
migrate, the pull-request diff, ``init`` and ``schemas import``/``fetch``. Nothing here prints; the CLI
does (``diff``'s text comes from report/diff.py)."""
