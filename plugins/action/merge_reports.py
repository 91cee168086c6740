# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Merge the JSON reports of the slices of one run into one report, on the controller: the merge rules are
plugin_utils._merge's, the files are written by the accountguard.aws.report callback's own writer."""

from __future__ import annotations

import datetime
import glob
import json
import os

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import callback_loader

from ansible_collections.accountguard.aws.plugins.plugin_utils._history import (
    HISTORY_LENGTH,
    changes_since,
    read_reports,
    same_inventory,
)
from ansible_collections.accountguard.aws.plugins.plugin_utils._merge import MergeError, merge_reports
from ansible_collections.accountguard.aws.plugins.plugin_utils._report import RENDERERS

ARGUMENT_SPEC = {
    "reports": {"type": "list", "elements": "path", "required": True},
    "dest": {"type": "path"},
    "formats": {"type": "list", "elements": "str", "choices": list(RENDERERS)},
    "write_latest": {"type": "bool"},
}
_CALLBACK = "accountguard.aws.report"


def _expand(patterns: list) -> list:
    """The report files the patterns name, in order, each once; a pattern that names nothing is an error."""
    paths = []
    for pattern in patterns:
        found = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not found or not all(os.path.isfile(p) for p in found):
            raise MergeError(f"no report file at {pattern}")
        paths.extend(os.path.abspath(p) for p in found if os.path.abspath(p) not in paths)
    return paths


def _load(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise MergeError(f"{path} is not a readable JSON report: {to_text(exc)}") from exc
    if not (isinstance(data, dict) and isinstance(data.get("run"), dict) and isinstance(data.get("accounts"), list)):
        raise MergeError(f"{path} is not an accountguard.aws report")
    return data


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # nothing runs on a target
        _validation, args = self.validate_argument_spec(ARGUMENT_SPEC)
        writer = callback_loader.get(_CALLBACK)
        if writer is None:
            return {**result, "failed": True, "changed": False, "msg": f"the {_CALLBACK} callback cannot be loaded"}
        writer.set_options()
        dest = args["dest"] or os.path.join(writer.get_option("report_dir"), "merged")
        formats = [f for f in RENDERERS if f in (args["formats"] or writer.get_option("formats") or [])]
        try:
            paths = _expand(args["reports"])
            reports = [_load(path) for path in paths]
            merged = merge_reports(
                reports,
                run_id="merged",  # replaced below, once the merge succeeded and the id is reserved
                generator={**(reports[0].get("generator") or {}), "name": _CALLBACK} if reports else None,
            )
        except MergeError as exc:
            return {**result, "failed": True, "changed": False, "msg": f"cannot merge the reports: {exc}"}
        inputs = {r["run"]["id"] for r in reports}
        result.update(
            changed=True,
            merged=[r["run"]["id"] for r in reports],
            summary=merged["summary"],
            dest=dest,
            files={},
        )
        if self._task.check_mode:
            result["msg"] = f"would merge {len(paths)} report(s) into {dest}"
            return result
        os.makedirs(dest, mode=0o750, exist_ok=True)
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        merged["run"]["id"] = writer._unique_run_id(dest, f"{stamp}-merged", formats)
        # The merge's own history: earlier merges (and unsliced runs) of the same inventory, never its slices.
        history = read_reports(
            dest,
            matching=lambda other: (
                other["run"].get("id") not in inputs | {merged["run"]["id"]} and same_inventory(merged, other)
            ),
            enough=HISTORY_LENGTH,
        )
        merged["changes_since"] = changes_since(merged, history)
        result["files"] = writer.write_report(merged, dest, formats, args["write_latest"])
        result["run_id"] = merged["run"]["id"]
        result["msg"] = f"merged {len(reports)} report(s) of {merged['summary']['accounts']} account(s) into {dest}"
        return result
