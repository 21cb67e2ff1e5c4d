"""Make the project root importable while these test modules are collected.

tests/unit has no ``__init__.py``, so pytest's default "prepend" import mode puts only this
folder on ``sys.path``. Redundant once pyproject's pytest options set ``pythonpath = ["."]``.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[3])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
