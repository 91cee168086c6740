# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the action plugin of the same name (plugins/action/merge_reports.py) does the work on the
# controller; no module code is ever sent anywhere.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: merge_reports
short_description: Merge the reports of the slices of one run into one report
version_added: 0.1.0
description:
  - When AWX job slicing or C(--limit) batches split an Organization over several runs, each run writes its own
    report. This merges their JSON reports (written by the C(accountguard.aws.report) callback) into one report
    and writes it in every format the callback writes (JSON, Markdown, HTML, JUnit, with the same renderers and
    exports), as C(accountguard-report-<UTC time>-merged.*).
  - The merged report has every account of every slice, its summary and completeness recomputed, C(run.limit)
    V(null), C(run.merged_from) naming the slices, and C(changes_since) against the previous merged (or
    unsliced) report of the same inventory in O(dest).
  - Refuses, before writing anything, reports of different modes (a check and an apply), of another schema
    major version or another set of controls, and two reports that say different things about the same account
    and control. The same account in two reports is accepted when its cells agree, or when one of them did not
    run the control (skipped with no task, for example C(--tags) slices); the same report twice counts once.
  - Runs on the controller only and makes no AWS call. See C(docs/report.md) and C(docs/awx.md).
author:
  - accountguard.aws maintainers (@accountguard)
options:
  reports:
    description:
      - The JSON reports to merge (C(accountguard-report-<run id>.json) or C(accountguard-report-latest.json) of
        each slice's report directory). Shell-style patterns (C(*), C(?), C([...])) are expanded; a path or
        pattern that names no file is an error.
    type: list
    elements: path
    required: true
  dest:
    description:
      - Directory the merged report is written to; created when missing.
      - Keep it apart from the slices' report directory, so the merged reports compare with each other only.
      - Default is the C(merged) directory inside the C(accountguard.aws.report) callback's C(report_dir).
    type: path
  formats:
    description: Which report files to write; default is the callback's C(formats) setting.
    type: list
    elements: str
    choices: [json, markdown, html, junit]
  write_latest:
    description:
      - Also write C(accountguard-report-latest.*) into O(dest); default is the callback's C(write_latest)
        setting.
    type: bool
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.conn
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reads and merges the reports, reports conflicts, and writes no file.
  connection:
    support: none
  delegation:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: all
seealso:
  - module: accountguard.aws.drift_gate
"""

EXAMPLES = r"""
- name: Merge the reports of three --limit batches into one
  accountguard.aws.merge_reports:
    reports:
      - reports/batch-1/accountguard-report-latest.json
      - reports/batch-2/accountguard-report-latest.json
      - reports/batch-3/accountguard-report-latest.json
    dest: reports/merged

- name: Merge every slice's report of one AWX workflow run (each slice wrote into its own directory)
  accountguard.aws.merge_reports:
    reports: "/var/lib/accountguard/reports/{{ run_name }}/slice-*/accountguard-report-latest.json"
"""

RETURN = r"""
files:
  description: The files written, per format (empty in check mode).
  returned: always
  type: dict
  sample: {"json": "reports/merged/accountguard-report-20261205T120000Z-merged.json"}
run_id:
  description: The merged report's run id (also in its file names).
  returned: success, not in check mode
  type: str
  sample: 20261205T120000Z-merged
merged:
  description: The run ids of the reports merged, in order, each once.
  returned: success
  type: list
  elements: str
summary:
  description: The merged report's recomputed C(summary) (see C(docs/report-schema.json)).
  returned: success
  type: dict
dest:
  description: The directory of the merged report.
  returned: success
  type: str
"""
