"""Fixtures of the CLI tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .test_cli import JOBS_MODULE


@pytest.fixture
def jobs_dir(tmp_path: Path) -> Path:
    """A folder holding ``cli_test_jobs.py`` (its ``scheduler`` and ``make_scheduler``)."""
    (tmp_path / "cli_test_jobs.py").write_text(textwrap.dedent(JOBS_MODULE))
    return tmp_path
