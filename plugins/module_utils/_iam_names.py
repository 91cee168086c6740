# Copyright: (c) 2026, accountguard.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM's naming rules, one copy for every module that validates names before any call.

From the IAM API reference (CreateUser, CreateGroup, PutGroupPolicy: the User/Group/PolicyName and Path
patterns) and the IAM quotas.
"""

from __future__ import annotations

import re

USER_NAME_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
GROUP_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
POLICY_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
PATH_RE = re.compile(r"^(/|/[\x21-\x7e]+/)$")
PATH_MAX = 512


def is_valid_path(path: str) -> bool:
    """True for an IAM path: / alone, or printable ASCII between a leading and a trailing /, at most 512."""
    return isinstance(path, str) and len(path) <= PATH_MAX and bool(PATH_RE.match(path))
