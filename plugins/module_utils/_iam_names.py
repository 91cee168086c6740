# Copyright: (c) 2026, accountguard.aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM's path rule, one copy for every module that validates paths before any call.

Names are checked with amazon.aws's ``validate_iam_identifiers``; its path check is not used because it
refuses characters IAM accepts in a path. From the IAM API reference (CreateUser, CreateGroup: the Path
pattern ``(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)``).
"""

from __future__ import annotations

import re

PATH_RE = re.compile(r"^(/|/[\x21-\x7e]+/)$")
PATH_MAX = 512


def is_valid_path(path: str) -> bool:
    """True for an IAM path: / alone, or printable ASCII between a leading and a trailing /, at most 512."""
    return isinstance(path, str) and len(path) <= PATH_MAX and bool(PATH_RE.match(path))
