"""The user's project as git sees it: one way to ask git, and the state a run records.

Everything runs in the working directory's repository (the user's project, not the harness's
own checkout); outside a repository, or without git, the answers are None.
"""

from __future__ import annotations

import subprocess
from typing import Any

# What the harness itself writes in a project: its reports and its results store. Changes there
# are not the user's code changing, so they do not make a commit "dirty".
OWN_OUTPUTS = (":(exclude)reports", ":(exclude).harness")


def git(*args: str, timeout_s: float = 30.0) -> str | None:
    """``git ARGS`` in the working directory: its stripped output, or None when git is
    missing, fails or times out."""
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_state() -> dict[str, Any]:
    """The git commit of the user's project (the working directory's repository), its branch
    (None when detached) and whether tracked files other than the harness's own outputs
    (``reports/``, ``.harness/``) differ from it; every value None outside a repository."""
    commit = git("rev-parse", "HEAD", timeout_s=5)
    if commit is None:
        return {"commit": None, "branch": None, "dirty": None}
    branch = git("rev-parse", "--abbrev-ref", "HEAD", timeout_s=5)
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", *OWN_OUTPUTS,
                 timeout_s=5)
    return {"commit": commit, "branch": None if branch in (None, "HEAD") else branch,
            "dirty": bool(status)}
