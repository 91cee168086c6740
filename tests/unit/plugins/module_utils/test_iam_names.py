"""IAM's path rule, shared by iam_users and iam_admin_group (plugins/module_utils/_iam_names.py)."""

from __future__ import annotations

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils._iam_names import is_valid_path


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("/", True),
        ("/admins/", True),
        ("/a/b-c_d/", True),
        ("/" + "x" * 510 + "/", True),
        ("/" + "x" * 511 + "/", False),
        ("", False),
        ("admins/", False),
        ("/admins", False),
        ("/with space/", False),
        ("/tab\t/", False),
        ("/ünicode/", False),
        (None, False),
    ],
)
def test_is_valid_path(path, valid):
    assert is_valid_path(path) is valid
