# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The baseline's drift gate, on the controller: the rules are plugin_utils._drift's, shared with the report."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.accountguard.aws.plugins.plugin_utils._drift import (
    ROOT_ACCESS_MODES,
    AccountResults,
    Settings,
    assess,
)

_RESULTS = ("password_policy", "root", "root_live", "mfa", "admin_group", "iam_users", "access_keys")

ARGUMENT_SPEC = {
    "account_id": {"type": "str", "required": True},
    "fail_on_drift": {"type": "bool", "default": False},
    "results": {
        "type": "dict",
        "default": {},
        "options": {name: {"type": "dict", "default": {}} for name in _RESULTS},
    },
    "users": {"type": "list", "elements": "dict", "default": []},
    "users_purge": {"type": "bool", "default": False},
    "admin_group_name": {"type": "str", "default": "Cloudadmin"},
    "root_require_hardware_mfa": {"type": "bool", "default": False},
    "access_keys_deactivate_stale": {"type": "bool", "default": False},
    "users_replace_lost_access_keys": {"type": "bool", "default": False},
    "root_access": {"type": "str", "default": "off", "choices": list(ROOT_ACCESS_MODES)},
    "root_remove_credentials": {"type": "list", "elements": "str", "default": []},
}
FAILED_LINE = "(failed because baseline_fail_on_drift is true)"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # nothing runs on a target
        _validation, args = self.validate_argument_spec(ARGUMENT_SPEC)
        results = args["results"] or {}
        assessment = assess(
            AccountResults(**{name: results.get(name) or {} for name in _RESULTS}),
            Settings(
                account_id=args["account_id"],
                users=Settings.declared_users(args["users"]),
                users_purge=args["users_purge"],
                admin_group_name=args["admin_group_name"],
                root_require_hardware_mfa=args["root_require_hardware_mfa"],
                access_keys_deactivate_stale=args["access_keys_deactivate_stale"],
                users_replace_lost_access_keys=args["users_replace_lost_access_keys"],
                root_access=args["root_access"],
                root_remove_credentials=tuple(args["root_remove_credentials"]),
            ),
            check_mode=bool(self._task.check_mode),
        )
        summary = assessment.summary()
        failed = bool(args["fail_on_drift"] and assessment.drift)
        result.update(assessment.to_dict())
        result.update(changed=False, summary=summary, msg=[*summary, FAILED_LINE] if failed else summary)
        if failed:
            result["failed"] = True
        return result
