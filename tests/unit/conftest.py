"""Make `ansible_collections.accountguard.aws` importable for plain `pytest tests/unit`.

`ansible-test units` runs from a real ansible_collections/accountguard/aws tree and needs nothing; a plain
checkout is reached through the `make collection-link` symlink under .build/collections, which this creates
when missing. amazon.aws comes from the virtual environment's ansible_collections (a namespace package), so
both halves of `ansible_collections` import side by side.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / ".build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "accountguard" / "aws"


def _importable() -> bool:
    try:
        return importlib.util.find_spec("ansible_collections.accountguard.aws") is not None
    except ModuleNotFoundError:
        return False


if not _importable():
    if not LINK.exists():
        LINK.parent.mkdir(parents=True, exist_ok=True)
        LINK.symlink_to(ROOT, target_is_directory=True)
    # A namespace package recomputes its __path__ when sys.path changes, so an already imported
    # `ansible_collections` (amazon.aws) picks this entry up too.
    sys.path.insert(0, str(COLLECTIONS))
