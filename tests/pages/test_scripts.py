"""The browser scripts parse as the modules the pages load them as (`<script type="module">`):
a slip such as a function declared twice is a syntax error in a module, which would stop the
whole board's script, and is caught here before any browser test runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).resolve().parents[2] / "static" / "js").glob("*.js"))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_each_script_parses_as_a_module(script: Path, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "node is part of the set-up (npm ci): make setup installs the scripts with it"
    module = tmp_path / (script.stem + ".mjs")
    module.write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
    checked = subprocess.run([node, "--check", str(module)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
