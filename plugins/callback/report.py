# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: report
type: aggregate
short_description: Write the baseline compliance and drift report (JSON, Markdown, HTML, JUnit, OCSF)
version_added: 0.1.0
description:
  - Collects, for every account (inventory host) and every baseline control, one status of a run of the
    accountguard.aws baseline and writes it as a JSON document, a Markdown summary, a self-contained HTML page
    (accounts by controls matrix, details on click) and JUnit XML (one test case per account and control).
  - "Statuses: V(compliant); V(accepted) (every failing finding is covered by an unexpired entry of the role's
    C(baseline_exceptions_file), see C(docs/accepted-exceptions.md)); V(drift) (check mode: the task would change
    something, or a checking module returned a failing finding); V(changed) (apply mode: the task changed
    something); V(failed); V(unreachable); V(skipped) (not run, for example excluded by C(--tags) or switched off)."
  - A task counts for the control whose id it carries as a tag (C(password_policy), C(root_access_keys),
    C(root_mfa), C(root_usage), C(user_mfa), C(access_key_rotation), C(admin_group), C(iam_users),
    C(group_permissions), C(admin_policies), C(cloudshell_access), C(support_role), C(server_certificates)). A
    task whose result carries C(findings) counts for the control each finding names; when it also carries C(controls), a
    control tag not listed there is not counted (the control was switched off), and with C(changed_controls) a
    change counts only for the controls listed there.
  - With C(--tags) naming control ids only those controls are reported (C(--skip-tags) likewise removes
    them); the others show as V(skipped), even when a task covering two controls said something about them.
  - When a task without a control tag fails before any control ran (the account session or account guard), every
    control of that account is V(failed) with that error (the task's C(msg), with the AWS error code when the
    result carries one; anything that looks like a secret access key or session token is redacted).
  - Per account the report also carries what the role's drift gate (M(accountguard.aws.drift_gate)) showed on
    the console - the drift items, each with the role variable that would fix it where one exists, what only a
    person can do, and what was reported but not changed - and decides each cell by the same drift rules.
  - Results of C(no_log) tasks are used only for their changed/failed state. Diff before/after values are copied
    with secret-looking keys and values (passwords, secret access keys, session tokens, MFA seeds) redacted.
  - Writes a report for every run of the C(accountguard.aws.baseline) role, also when every host failed before
    any control, and for any other run in which a task carried a control-id tag; other playbooks leave no
    reports behind.
  - Each report compares itself with the previous report of the same inventory in O(report_dir) (same mode,
    same inventory sources and C(--limit), at least one account in common) and lists per account and control
    what is new, resolved, still failing and newly accepted, with a trend of drifted pairs over the last runs
    (C(changes_since); C(docs/report.md)). M(accountguard.aws.merge_reports) merges the reports of a sliced run.
  - Works beside any stdout callback; it prints nothing to stdout.
  - The JSON schema is documented in C(docs/report-schema.json) of the collection; see C(docs/report.md).
requirements:
  - enable in configuration, for example C(callbacks_enabled = accountguard.aws.report) in C(ansible.cfg)
options:
  report_dir:
    description:
      - Directory the reports are written to; created when missing.
      - A relative path set in C(ansible.cfg) is relative to that file's directory; from the environment it is
        relative to the current directory.
    type: path
    default: ./reports
    env:
      - name: ACCOUNTGUARD_REPORT_DIR
    ini:
      - section: accountguard_report
        key: report_dir
  formats:
    description:
      - Which report files to write.
      - V(ocsf) (not written unless listed) also writes the findings as OCSF 1.8.0 Compliance Finding events
        (class_uid 2003), one JSON object per line, to C(accountguard-report-<run id>.ocsf.jsonl); see the OCSF
        export in C(docs/report.md). For example C(ACCOUNTGUARD_REPORT_FORMATS=json,markdown,html,junit,ocsf).
    type: list
    elements: str
    choices: [json, markdown, html, junit, ocsf]
    default: [json, markdown, html, junit]
    env:
      - name: ACCOUNTGUARD_REPORT_FORMATS
    ini:
      - section: accountguard_report
        key: formats
  write_latest:
    description:
      - Besides the timestamped files C(accountguard-report-<UTC timestamp>.<ext>), also write stable copies
        C(accountguard-report-latest.<ext>) (replaced atomically).
      - C(accountguard-report-latest.*) always means the last run that wrote a report to O(report_dir) - a latest
        file of a format the run did not write (or every latest file, when this is V(false)) is removed.
    type: bool
    default: true
    env:
      - name: ACCOUNTGUARD_REPORT_LATEST
    ini:
      - section: accountguard_report
        key: write_latest
"""

import datetime
import json
import os
import re
import tempfile

from ansible import context
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, cis_ids
from ansible_collections.accountguard.aws.plugins.plugin_utils._drift import Assessment
from ansible_collections.accountguard.aws.plugins.plugin_utils._history import changes_since, history_of
from ansible_collections.accountguard.aws.plugins.plugin_utils._report import (
    NO_MANAGEMENT_HOST,
    RENDERERS,
    ReportBuilder,
    selected_controls,
)

_HOST_FIELDS = {"account_id": "aws_account_id", "name": "aws_account_name", "ou_path": "aws_ou_path"}
# A run of the baseline role writes a report whatever happened; so does any play whose tasks carry control ids.
_BASELINE_ROLES = ("accountguard.aws.baseline", "baseline")
_DRIFT_GATE = ("accountguard.aws.drift_gate", "drift_gate")
_LATEST = "accountguard-report-latest"
_COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _collection_version() -> str | None:
    manifest = os.path.join(_COLLECTION_ROOT, "MANIFEST.json")
    try:
        if os.path.exists(manifest):
            with open(manifest, encoding="utf-8") as fh:
                return json.load(fh)["collection_info"]["version"]
        with open(os.path.join(_COLLECTION_ROOT, "galaxy.yml"), encoding="utf-8") as fh:
            found = re.search(r"^version:\s*['\"]?([^'\"\s]+)", fh.read(), re.MULTILINE)
            return found.group(1) if found else None
    except (OSError, KeyError, ValueError):
        return None


def _write_atomic(path: str, text: str) -> None:
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        # Reports name accounts and their weaknesses: readable by the operator's group, not by everyone.
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "accountguard.aws.report"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None, options=None):
        super().__init__(display=display, options=options)
        controls = {cid: {"title": c["title"], "cis": cis_ids(cid)} for cid, c in CONTROLS.items()}
        selected = selected_controls(
            controls, context.CLIARGS.get("tags") or (), context.CLIARGS.get("skip_tags") or ()
        )
        self._builder = ReportBuilder(controls, selected)
        self._started = _utc_now()
        self._playbooks = []
        self._play = None
        self._known_hosts = set()
        self._baseline_ran = False
        self.written = {}

    # -- Ansible events -----------------------------------------------------------------------------------------
    def v2_playbook_on_start(self, playbook):
        name = getattr(playbook, "_file_name", None)
        if name:
            self._playbooks.append(os.path.basename(to_text(name)))

    def v2_playbook_on_play_start(self, play):
        self._play = play

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if _payload(result).get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed", ignore_errors=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        # Also when every host failed before any control (account guard, session, variables): that run's
        # report, with the cause in every cell, is the one `latest` must point at.
        if not (self._builder.contributed or self._baseline_ran):
            return
        try:
            self.written = self._write_reports()
        except OSError as exc:
            # A report that cannot be written must not hide the run's own outcome: warn, do not raise.
            self._display.warning(f"accountguard.aws.report: could not write the report: {to_text(exc)}")
            return
        for control in sorted(self._builder.organization_controls_unchecked()):
            # Every host skipped it as a member (or standalone) account: say so, never let it pass for checked.
            self._display.warning(f"accountguard.aws.report: {control}: {NO_MANAGEMENT_HOST}")
        if "html" in self.written:
            self._display.display(f"accountguard.aws.report: {self.written['html']}", stderr=True)

    # -- helpers ------------------------------------------------------------------------------------------------
    def _record(self, result, status, ignore_errors=False):
        host, task = _host(result), _task(result)
        if host is None or task is None:
            return
        host_name = to_text(host.get_name())
        if host_name not in self._known_hosts:
            self._known_hosts.add(host_name)
            self._builder.add_host(host_name, **self._account_vars(host))
        if _role_name(task) in _BASELINE_ROLES:
            self._baseline_ran = True
        payload = _payload(result)
        if status != "skipped" and _is_drift_gate(task) and isinstance(payload.get("drift"), list):
            self._builder.add_assessment(host_name, Assessment.from_dict(payload))
        tags = [to_text(tag) for tag in (getattr(task, "tags", None) or [])]
        check_mode = getattr(task, "check_mode", None)
        if not isinstance(check_mode, bool):
            check_mode = bool(context.CLIARGS.get("check", False))
        self._builder.add_event(
            host_name,
            to_text(getattr(result, "task_name", None) or task.get_name()),
            status,
            payload,
            tags=tags,
            check_mode=check_mode,
            ignore_errors=ignore_errors,
        )

    def _account_vars(self, host) -> dict:
        """aws_account_id / aws_account_name / aws_ou_path of a host, literal values only (never templated)."""
        found = _literal_fields(getattr(host, "vars", None) or {})
        if len(found) < len(_HOST_FIELDS) and self._play is not None:
            # host_vars/ and group_vars/ files are only known to the variable manager; ask it once per host.
            try:
                manager = self._play.get_variable_manager()
                more = manager.get_vars(play=self._play, host=host, include_hostvars=False)
            except Exception:  # metadata is optional: the host name alone still identifies the account
                more = {}
            found = {**_literal_fields(more), **found}
        return found

    def _write_reports(self) -> dict:
        finished = _utc_now()
        directory = self.get_option("report_dir")
        os.makedirs(directory, mode=0o750, exist_ok=True)
        formats = [f for f in RENDERERS if f in (self.get_option("formats") or [])]
        run_id = self._unique_run_id(directory, self._started.strftime("%Y%m%dT%H%M%SZ"), formats)
        report = self._builder.build(
            run_id=run_id,
            started=_iso(self._started),
            finished=_iso(finished),
            mode="check" if context.CLIARGS.get("check", False) else "apply",
            diff=bool(context.CLIARGS.get("diff", False)),
            playbooks=self._playbooks,
            generator={
                "name": self.CALLBACK_NAME,
                "version": _collection_version(),
                "ansible_core": ansible_version,
            },
            inventory=_inventory_sources(),
            limit=context.CLIARGS.get("subset") or None,
        )
        # What changed since the last run of the same inventory (docs/report.md, plugin_utils/_history.py).
        try:
            report["changes_since"] = changes_since(report, history_of(report, directory))
        except Exception as exc:  # a damaged earlier report must not cost this run its own report
            self._display.warning(f"accountguard.aws.report: not compared with the last run: {to_text(exc)}")
        return self.write_report(report, directory, formats)

    def write_report(self, report: dict, directory: str, formats, latest: bool | None = None) -> dict:
        """Write `report` in `formats` (and the latest copies unless `latest` is false; None: the write_latest
        option) into `directory`: every file a run writes. The merge_reports action writes a merged report
        through this too, so it gets every file and export a run gets."""
        os.makedirs(directory, mode=0o750, exist_ok=True)
        stem = f"accountguard-report-{report['run']['id']}"
        written = {}
        latest = bool(self.get_option("write_latest")) if latest is None else bool(latest)
        # Render HTML first so the Markdown summary can point at it.
        for fmt in sorted(formats, key=lambda f: f != "html"):
            ext, render = RENDERERS[fmt]
            path = os.path.join(directory, f"{stem}.{ext}")
            text = render(report, written.get("html")) if fmt == "markdown" else render(report)
            _write_atomic(path, text)
            written[fmt] = path
            if latest:
                _write_atomic(os.path.join(directory, f"{_LATEST}.{ext}"), text)
        # `latest` always means this run: a latest file of a format this run did not write is an older run's.
        kept = {RENDERERS[f][0] for f in written} if latest else set()
        for ext, _render in RENDERERS.values():
            stale = os.path.join(directory, f"{_LATEST}.{ext}")
            if ext not in kept and os.path.lexists(stale):
                os.unlink(stale)
        return written

    @staticmethod
    def _unique_run_id(directory: str, started: str, formats) -> str:
        """The run's id: its start second, with ``-2``, ``-3``... when an earlier run of the same second left
        reports in the directory, so that no two runs share an id or a file. Reserved by creating the first
        file exclusively (parallel runs)."""
        exts = [RENDERERS[f][0] for f in formats] or ["json"]
        run_id, n = started, 1
        while True:
            stem = f"accountguard-report-{run_id}"
            if not any(os.path.exists(os.path.join(directory, f"{stem}.{ext}")) for ext in exts[1:]):
                try:
                    os.close(os.open(os.path.join(directory, f"{stem}.{exts[0]}"), os.O_CREAT | os.O_EXCL, 0o640))
                    return run_id
                except FileExistsError:
                    pass
            n += 1
            run_id = f"{started}-{n}"


def _inventory_sources() -> list:
    """The run's inventory sources as ansible-playbook resolved them (absolute paths; a host list as given)."""
    sources = context.CLIARGS.get("inventory") or ()
    if isinstance(sources, str):
        sources = [sources]
    return [to_text(s) if "," in to_text(s) else os.path.abspath(to_text(s)) for s in sources]


def _literal_fields(source) -> dict:
    found = {}
    for field, var in _HOST_FIELDS.items():
        value = source.get(var) if hasattr(source, "get") else None
        if isinstance(value, (str, int)) and not isinstance(value, bool) and "{{" not in str(value):
            found[field] = str(value)
    return found


def _payload(result) -> dict:
    # ansible-core 2.19 made `result`/`task`/`host` public; older cores only have the underscored names.
    payload = getattr(result, "result", None)
    if payload is None:
        payload = getattr(result, "_result", None)
    return payload if isinstance(payload, dict) else dict(payload or {})


def _role_name(task) -> str | None:
    # Task has no public accessor for its role; every callback that names roles reads _role (core's too).
    role = getattr(task, "_role", None)
    try:
        return to_text(role.get_name(include_role_fqcn=True)) if role is not None else None
    except Exception:  # the report must never break a run over a name
        return None


def _is_drift_gate(task) -> bool:
    # The action as written: resolved_action may warn when read from some callback events.
    return getattr(task, "action", None) in _DRIFT_GATE


def _task(result):
    task = getattr(result, "task", None)
    return task if task is not None else getattr(result, "_task", None)


def _host(result):
    host = getattr(result, "host", None)
    return host if host is not None else getattr(result, "_host", None)
