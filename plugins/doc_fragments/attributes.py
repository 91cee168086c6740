# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The check_mode / diff_mode attributes of accountguard.aws modules, written once. Private to the collection:
# other collections should not extend it.


class ModuleDocFragment:
    # Descriptions of the attributes; every module also extends one of the support levels below.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description:
      - Can run in C(check_mode) and return changed status prediction without modifying the account.
  diff_mode:
    description:
      - Will return details on what has changed (or would change in C(check_mode)) when run with C(--diff).
"""

    # Modules that change an account: check mode is honest (no write call at all) and diff is complete.
    ENFORCING = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - No write API call is made in check mode; the result predicts the change.
  diff_mode:
    support: full
"""

    # Modules that only read an account and report findings.
    CHECKING = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads the account; it behaves the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module only reads the account.
"""
