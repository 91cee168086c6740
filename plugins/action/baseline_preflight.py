# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""accountguard.aws.baseline_preflight: every input check of the baseline, on the controller, before any AWS call.

Controller-only on purpose: the checks are the modules' own validation functions applied to plain data, so
there is nothing to gain from a module process, and nothing here reads AWS or writes.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.accountguard.aws.plugins.module_utils import (
    _admin_group,
    _iam_account,
    _password_policy,
    _users,
)
from ansible_collections.accountguard.aws.plugins.module_utils._backends import access_keys as _access_keys
from ansible_collections.accountguard.aws.plugins.module_utils._common import range_errors
from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS
from ansible_collections.accountguard.aws.plugins.module_utils._secret_files import directory_problem
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import (
    ExceptionsFileError,
    load,
    resolve_path,
)

ARGUMENT_SPEC = dict(
    users=dict(type="list", elements="raw", default=[]),
    credentials_dir=dict(type="path"),
    admin_group=dict(
        type="dict",
        options=dict(
            name=dict(type="raw"),
            path=dict(type="str"),
            managed_policies=dict(type="list", elements="raw", default=[]),
            mfa_guard=dict(type="dict", options=dict(policy_name=dict(type="raw"), policy_document=dict(type="raw"))),
        ),
    ),
    password_policy=dict(type="dict"),
    exceptions_file=dict(type="path"),
    exceptions_base_dir=dict(type="path"),
    exceptions_warn_days=dict(type="raw"),
    support_role=dict(type="raw"),
    security_contact=dict(type="raw"),
    access_analyzer=dict(type="dict"),
    access_keys=dict(type="dict"),
    variables=dict(type="dict", default={}),
)
# Characters that may follow a name at the start of a validation message (name, name.sub, name[0], name:).
_BOUNDARIES = (" ", ":", ".", "[")


def renamed(problem: str, variables: Mapping) -> str:
    """``problem`` with its leading option path replaced by the user's variable of the longest match."""
    for option in sorted(variables, key=len, reverse=True):
        if problem.startswith(option) and problem[len(option) : len(option) + 1] in _BOUNDARIES:
            return str(variables[option]) + problem[len(option) :]
    return problem


def _user_problems(users: list) -> list[str]:
    not_dicts = [
        f"users[{index}] must be a dictionary" for index, user in enumerate(users) if not isinstance(user, Mapping)
    ]
    return not_dicts or _users.validate_users([dict(user) for user in users])


def _integer_problems(options: Mapping, ranges: Mapping) -> list[str]:
    problems, numbers = [], {}
    for name in ranges:
        value = options.get(name)
        if value is None:
            continue
        try:
            if isinstance(value, bool) or int(value) != float(value):
                raise ValueError(value)
            numbers[name] = int(value)
        except (TypeError, ValueError):
            problems.append(f"{name} must be an integer, got {value!r}")
    return problems + range_errors(numbers, ranges)


def _password_policy_problems(policy: Mapping) -> list[str]:
    return _integer_problems(policy, _password_policy.RANGES)


def _access_key_problems(options: Mapping) -> list[str]:
    """The day and key limits of iam_access_keys (access_key_rotation, console_access_unused)."""
    ranges = {name: limits for name, limits in _access_keys.RANGES.items() if name in options}
    return _integer_problems(options, ranges)


def _exceptions_problems(params: Mapping) -> list[str]:
    found = []
    warn_days = params.get("exceptions_warn_days")
    if warn_days is not None:
        try:
            number = int(warn_days)
        except (TypeError, ValueError):
            number = None
        if number is None or isinstance(warn_days, bool) or number < 0 or str(number) != str(warn_days).strip():
            found.append(f"exceptions_warn_days: must be a whole number of days, 0 or more, got {warn_days!r}")
    if params.get("exceptions_file"):
        path = resolve_path(params["exceptions_file"], params.get("exceptions_base_dir"))
        try:
            load(path, CONTROLS)
        except ExceptionsFileError as exc:
            found.append(f"exceptions_file {exc}")
    return found


SUPPORT_ROLE_KEYS = frozenset({"name", "path", "trusted_principals"})


def _support_role_problems(role) -> list[str]:
    if not isinstance(role, Mapping):
        return ["support_role must be a dictionary with name and trusted_principals (or unset: check only)"]
    unknown = sorted(str(key) for key in role if key not in SUPPORT_ROLE_KEYS)
    if unknown:
        return [f"support_role has unknown key(s) {', '.join(unknown)}; expected name, trusted_principals, path"]
    return _iam_account.support_role_errors({"path": "/", **role})


def problems(params: Mapping) -> list[str]:
    """Every problem with the baseline's input, each naming the user's variable, found without any AWS call."""
    found = []
    users = params.get("users") or []
    found += _user_problems(users)
    if params.get("credentials_dir") and any(
        isinstance(u, Mapping) and (u.get("console_access") or u.get("programmatic_access")) for u in users
    ):
        problem = directory_problem(params["credentials_dir"])
        if problem:
            found.append(f"credentials_dir: {problem}")
    if params.get("admin_group") is not None:
        found += ["admin_group." + p for p in _admin_group.validate(dict(params["admin_group"]))]
    if params.get("password_policy") is not None:
        found += ["password_policy." + p for p in _password_policy_problems(params["password_policy"])]
    found += _exceptions_problems(params)
    if params.get("support_role") is not None:
        found += _support_role_problems(params["support_role"])
    if params.get("security_contact") is not None:
        found += _iam_account.security_contact_errors(params["security_contact"])
    if params.get("access_analyzer") is not None:
        analyzer = params["access_analyzer"]
        found += _iam_account.access_analyzer_errors(analyzer.get("regions"), analyzer.get("name"))
        if not isinstance(analyzer.get("create"), bool):
            found.append(f"access_analyzer_create must be true or false, got {analyzer.get('create')!r}")
    if params.get("access_keys") is not None:
        found += ["access_keys." + p for p in _access_key_problems(params["access_keys"])]
    variables = params.get("variables") or {}
    return [renamed(problem, variables) for problem in found]


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no effect since ansible-core 2.5
        try:
            _validation, params = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        except AnsibleActionFail as failure:
            return {**result, "failed": True, "msg": failure.message}
        found = problems(params)
        result["changed"] = False
        if found:
            result.update(failed=True, msg="Invalid input (nothing was read or changed): " + "; ".join(found))
        else:
            result["validated"] = True
            if params.get("exceptions_file"):
                result["exceptions_file"] = resolve_path(params["exceptions_file"], params.get("exceptions_base_dir"))
        return result
