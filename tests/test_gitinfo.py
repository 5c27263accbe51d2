"""harness.gitinfo: the user's project as git sees it."""

from __future__ import annotations

import subprocess

from harness.gitinfo import git, git_state


def test_git_state_is_the_working_directory_project_and_ignores_its_own_reports(tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert git_state() == {"commit": None, "branch": None, "dirty": None}  # not a repository

    def run_git(*args):
        subprocess.run(["git", *args], check=True, capture_output=True)

    run_git("init", "-q", "-b", "work")
    (tmp_path / "model.py").write_text("x = 1\n")
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "report.md").write_text("old\n")
    run_git("add", ".")
    run_git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "c")
    state = git_state()
    assert state["branch"] == "work" and state["dirty"] is False and len(state["commit"]) == 40
    (tmp_path / "reports" / "report.md").write_text("rewritten by harness run\n")
    assert git_state()["dirty"] is False  # the harness's own writing is not dirt
    (tmp_path / "model.py").write_text("x = 2\n")
    assert git_state()["dirty"] is True


def test_git_answers_none_outside_a_repository_or_for_a_failing_command(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert git("rev-parse", "HEAD") is None
    assert git("no-such-subcommand") is None
