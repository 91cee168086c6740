# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs securityhub_import's backend on the controller for local-connection hosts (see _controller).

An ``exceptions_file`` is read here, on the controller, with the drift gate's rules (plugin_utils/_exceptions):
the unexpired entries that apply to this account become ``accepted_exceptions``, which both front ends take.
"""

from __future__ import annotations

import datetime

from ansible_collections.accountguard.aws.plugins.module_utils._backends.securityhub_import import SPEC
from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS
from ansible_collections.accountguard.aws.plugins.plugin_utils._controller import ControllerAction
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import (
    AccountContext,
    ExceptionsFileError,
    load,
    resolve_path,
)

_CONTROLLER_ONLY = ("exceptions_file", "exceptions_base_dir", "account_name", "ou_path", "account_tags")


def accepted_for(entries, account: AccountContext, today: datetime.date) -> list[dict]:
    """The entries that accept findings of this account today, as the module's accepted_exceptions."""
    return [
        {
            "control": e.control,
            "resource": e.resource,
            "reason": e.reason,
            "owner": e.owner,
            "expires": e.expires.isoformat(),
            "ticket": e.ticket,
            "index": e.index,
        }
        for e in entries
        if not e.expired(today) and e.matches_account(account)
    ]


class ActionModule(ControllerAction):
    spec = SPEC

    def run(self, tmp=None, task_vars=None):
        args = self._task.args
        path = args.get("exceptions_file")
        if path:
            path = resolve_path(str(path), args.get("exceptions_base_dir"))
            try:
                entries = load(path, CONTROLS)
            except ExceptionsFileError as exc:
                return {"failed": True, "changed": False, "msg": f"exceptions_file {exc}"}
            tags = args.get("account_tags") or {}
            account = AccountContext(
                account_id=str(args.get("account_id") or ""),
                name=str(args.get("account_name") or ""),
                ou_path=str(args.get("ou_path") or ""),
                tags={str(k): str(v) for k, v in tags.items() if v is not None} if isinstance(tags, dict) else {},
            )
            # The day in UTC, as the drift gate takes it.
            today = datetime.datetime.now(datetime.UTC).date()
            args = {
                **args,
                "accepted_exceptions": [
                    *(args.get("accepted_exceptions") or []),
                    *accepted_for(entries, account, today),
                ],
            }
        self._task.args = {k: v for k, v in args.items() if k not in _CONTROLLER_ONLY}
        return super().run(tmp, task_vars)
