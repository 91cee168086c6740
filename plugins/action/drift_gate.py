# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The baseline's drift gate, on the controller: the rules are plugin_utils._drift's, shared with the report."""

from __future__ import annotations

import datetime

from ansible.plugins.action import ActionBase

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS
from ansible_collections.accountguard.aws.plugins.plugin_utils._drift import (
    ROOT_ACCESS_MODES,
    AccountResults,
    Settings,
    assess,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import (
    DEFAULT_WARN_DAYS,
    AccountContext,
    Exceptions,
    ExceptionsFileError,
    load,
    resolve_path,
)

_RESULTS = (
    "password_policy",
    "root",
    "root_live",
    "mfa",
    "admin_group",
    "iam_users",
    "access_keys",
    "iam_account",
    "policies",
    "root_credentials_management",
)

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
    "exceptions_file": {"type": "path"},
    "exceptions_base_dir": {"type": "path"},
    "exceptions_warn_days": {"type": "int", "default": DEFAULT_WARN_DAYS},
    "account_name": {"type": "str"},
    "ou_path": {"type": "str"},
    "account_tags": {"type": "dict", "default": {}},
    "support_role_declared": {"type": "bool", "default": False},
    "server_certificates_delete_expired": {"type": "bool", "default": False},
    "security_contact_declared": {"type": "bool", "default": False},
    "access_analyzer_create": {"type": "bool", "default": False},
    "cloudshell_access_detach": {"type": "bool", "default": False},
    "console_access_remove_unused": {"type": "bool", "default": False},
    "root_access": {"type": "str", "default": "off", "choices": list(ROOT_ACCESS_MODES)},
    "root_remove_credentials": {"type": "list", "elements": "str", "default": []},
    "root_credentials_management_enable": {"type": "bool", "default": False},
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
        exceptions = None
        if args["exceptions_file"]:
            path = resolve_path(args["exceptions_file"], args["exceptions_base_dir"])
            try:
                entries = load(path, CONTROLS)
            except ExceptionsFileError as exc:
                return {**result, "failed": True, "changed": False, "msg": f"baseline_exceptions_file {exc}"}
            if args["exceptions_warn_days"] < 0:
                return {**result, "failed": True, "changed": False, "msg": "exceptions_warn_days must be 0 or more"}
            # The day in UTC, once: the report applies the entries on the day the gate did.
            today = datetime.datetime.now(datetime.UTC).date()
            exceptions = Exceptions(path, entries, today, args["exceptions_warn_days"])
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
                exceptions=exceptions,
                account=AccountContext(
                    account_id=args["account_id"],
                    name=args["account_name"] or "",
                    ou_path=args["ou_path"] or "",
                    tags={str(k): str(v) for k, v in (args["account_tags"] or {}).items() if v is not None},
                ),
                support_role_declared=args["support_role_declared"],
                server_certificates_delete_expired=args["server_certificates_delete_expired"],
                security_contact_declared=args["security_contact_declared"],
                access_analyzer_create=args["access_analyzer_create"],
                cloudshell_access_detach=args["cloudshell_access_detach"],
                console_access_remove_unused=args["console_access_remove_unused"],
                root_access=args["root_access"],
                root_remove_credentials=tuple(args["root_remove_credentials"]),
                root_credentials_management_enable=args["root_credentials_management_enable"],
            ),
            check_mode=bool(self._task.check_mode),
        )
        summary = assessment.summary()
        failed = bool(args["fail_on_drift"] and assessment.drift)
        result.update(assessment.to_dict())
        result.update(changed=False, summary=summary, msg=[*summary, FAILED_LINE] if failed else summary)
        warnings = assessment.warnings()
        if warnings:
            result["warnings"] = [*result.get("warnings", []), *warnings]
        if failed:
            result["failed"] = True
        return result
