"""The deployment tools the template tests run: the SAM CLI and checkov, each in its own virtualenv (their pins clash
with the project's), installed by the Makefile on first use (a no-op once installed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.template.cfn import ROOT

SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def make(target: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Run a Makefile target; its output is in the assertion message if it fails."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-s", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"make {target} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def installed(tool: Path) -> Path:
    stamp = tool.parent.parent / ".installed"
    if not stamp.exists():
        make(str(stamp.relative_to(ROOT)))
    return tool
