"""Load a function's handler module by path: every function's module is called `app`, so each gets its own name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py afresh (module-level wiring reads the environment as set now)."""
    return _load("functions", name, f"spendrail_function_{name}")


def load_example(name: str) -> ModuleType:
    """Import examples/<name>/app.py afresh, as Lambda would with the layer on the path."""
    return _load("examples", name, f"spendrail_example_{name}")


def _load(folder: str, name: str, module_name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module_name, ROOT / folder / name / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
