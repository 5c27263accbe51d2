"""The job summary of a GitHub Actions step: ``harness gate`` appends its Markdown verdict to the
file that ``$GITHUB_STEP_SUMMARY`` names, so the verdict shows on the run's summary page."""

from __future__ import annotations

import os
import sys

ENV_VAR = "GITHUB_STEP_SUMMARY"


def append_step_summary(markdown: str) -> bool:
    """Append ``markdown`` to ``$GITHUB_STEP_SUMMARY`` when it is set.

    Returns:
        True when appended; False when the variable is unset or empty, or the file cannot be
        written (then one ``warning:`` line on standard error: the verdict file and the exit
        code are what CI acts on).
    """
    path = os.environ.get(ENV_VAR)
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as out:  # GitHub reads the file after the step
            out.write(markdown.rstrip("\n") + "\n\n")
    except OSError as exc:
        print(f"warning: {ENV_VAR}={path}: cannot append the verdict: {exc.strerror or exc}",
              file=sys.stderr)
        return False
    return True
