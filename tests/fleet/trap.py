"""A callable no worker of the tests allows: importing this module leaves a mark
(``$FLEET_TEST_DIR/imported.txt``), so a test can tell that a refused command imported nothing."""

from __future__ import annotations

import os
from pathlib import Path

Path(os.environ.get("FLEET_TEST_DIR", "."), "imported.txt").write_text("imported\n")


def boom() -> None:
    """Never to be called."""
    raise AssertionError("a refused callable ran")
