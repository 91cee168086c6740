"""Load inventory plugins the way ansible-inventory does, so option definitions come from DOCUMENTATION."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]


def _collections_path() -> Path:
    # Under ansible-test the checkout already sits at .../ansible_collections/accountguard/aws.
    if ROOT.parent.parent.name == "ansible_collections":
        return ROOT.parents[2]
    return ROOT / ".build" / "collections"


def _adopt_imported_collections() -> None:
    """Give collection packages imported before the collection finder the metadata the finder would set.

    A plain `pytest tests/unit` imports module_utils through sys.path (tests/unit/conftest.py) before this
    fixture runs; re-importing them would split module identities that other tests patch, so the
    already-imported packages are kept and only annotated.
    """
    for name, module in list(sys.modules.items()):
        if name.count(".") != 2 or not name.startswith("ansible_collections.") or module is None:
            continue
        if getattr(module, "_collection_meta", None) is not None:
            continue
        meta = {}
        for base in getattr(module, "__path__", []):
            runtime = Path(base) / "meta" / "runtime.yml"
            if runtime.is_file():
                meta = yaml.safe_load(runtime.read_text()) or {}
                break
        module._collection_meta = meta


@pytest.fixture(scope="session")
def inventory_loader():
    from ansible.plugins.loader import init_plugin_loader
    from ansible.plugins.loader import inventory_loader as loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig

    # ansible-test units installs the collection finder itself; a plain pytest run does not.
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader([str(_collections_path())])
        _adopt_imported_collections()
    return loader
