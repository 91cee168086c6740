# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# The options every checking module that reads the IAM credential report shares (argument spec:
# plugins/module_utils/_credential_report.py, report_options()). Private to the collection.


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  report_max_wait:
    description:
      - Seconds to wait for AWS to generate the credential report, from V(1) to V(900). The module polls with a
        pause between requests.
      - Unused when O(account_sources) holds the credential report.
    type: int
    default: 120
  fail_on_noncompliance:
    description:
      - Fail the task when any finding has status C(fail). The result still carries every return value.
    type: bool
    default: false
"""
