"""The report's OCSF export (formats: ocsf) in real ansible-playbook runs against the emulated demo Organization.

Two consecutive --check runs of the three demo accounts, nothing changed in between: every event of the
.ocsf.jsonl files validates against the JSON schema of the OCSF version it names (tests/ocsf/, generated from the
published OCSF schema by scripts/ocsf_schema.py); the events name exactly the deviations derived from the seed
alone (one per deviating resource, one per enforcing control that would change, one per compliant pair); the
demo's accepted deviation is Suppressed; and the two runs give the same finding_info.uid values.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml
from emulator.seed import DEMO
from helpers.ansible_run import ROOT, run_playbook
from test_report import CONTROL_IDS, demo_accepted, expected_deviations

OCSF_DIR = ROOT / "tests" / "ocsf"


def check_run(emulator, out: Path, creds: Path):
    return run_playbook(
        ROOT / "playbooks" / "baseline.yml",
        inventory=ROOT / "inventories" / "demo",
        check=True,
        diff=True,
        env={**emulator.env(), "ACCOUNTGUARD_REPORT_DIR": str(out), "ACCOUNTGUARD_REPORT_FORMATS": "json,ocsf"},
        # the settings of test_report's demo runs, whose expectations (expected_deviations) are reused here
        extra_vars={
            "baseline_credentials_dir": str(creds),
            "baseline_access_keys_deactivate_stale": True,
            "baseline_cloudshell_access_detach": True,
            "baseline_console_access_remove_unused": True,
        },
    )


def read_run(out: Path) -> tuple[dict, list[dict]]:
    report = json.loads((out / "accountguard-report-latest.json").read_text())
    path = out / f"accountguard-report-{report['run']['id']}.ocsf.jsonl"
    assert path.read_text() == (out / "accountguard-report-latest.ocsf.jsonl").read_text()
    return report, [json.loads(line) for line in path.read_text().splitlines()]


def validate(events: list[dict]) -> None:
    versions = {e["metadata"]["version"] for e in events}
    assert len(versions) == 1, versions
    schema = json.loads((OCSF_DIR / f"compliance_finding-{versions.pop()}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for event in events:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(event)]
        assert errors == [], (event["finding_info"]["uid"], errors)


def expected_from_seed(demo: dict) -> list[tuple]:
    """(account, control, resource ARN, finding status) of every event, from the demo seed and the role's defaults
    alone (test_report.expected_deviations): a deviating resource is New (an enforcing control's would-change is on
    the account's root ARN), one the demo's exceptions file accepts Suppressed, every other pair Resolved."""
    specs = {spec["name"]: spec for spec in DEMO["accounts"]}
    accounts = {a["id"]: specs[a["name"]] for a in demo["accounts"]}
    management = demo["management_account_id"]
    accounts[management] = DEMO["management"]
    accepted = demo_accepted(accounts)
    out = []
    for account_id, spec in accounts.items():
        root = f"arn:aws:iam::{account_id}:root"
        deviations = expected_deviations(spec, account_id, management=account_id == management)
        for cid in CONTROL_IDS:
            if cid == "root_credentials_management" and account_id != management:
                continue  # checked once, on the management account's host: skipped elsewhere, no event
            if cid not in deviations:
                out.append((account_id, cid, root, "Resolved"))
                continue
            status = "Suppressed" if (account_id, cid) in accepted else "New"
            out += [(account_id, cid, resource, status) for resource in deviations[cid] or {root}]
    return sorted(out)


def test_ocsf_events_of_two_checks_validate_and_keep_their_uids(emulator, tmp_path):
    demo = emulator.seed_demo()
    account_ids = {a["id"] for a in demo["accounts"]} | {demo["management_account_id"]}
    assert len(account_ids) == 4  # three members and the management account, a host of the demo inventory
    emulator.clear_requests()
    runs = [check_run(emulator, tmp_path / name, tmp_path / "credentials") for name in ("first", "second")]
    for run in runs:
        assert run.rc == 0, run.stderr[-3000:]
    # two checks: nothing written anywhere, so the second saw exactly the state of the first
    assert emulator.requests(writes_only=True) == []

    (report, events), (report2, events2) = read_run(tmp_path / "first"), read_run(tmp_path / "second")
    assert report["run"]["id"] != report2["run"]["id"]
    for run_events in (events, events2):
        validate(run_events)

    # the events name exactly the seeded deviations (and the compliant pairs) of all three accounts
    assert {e["cloud"]["account"]["uid"] for e in events} == account_ids
    seen = sorted(
        (e["cloud"]["account"]["uid"], e["compliance"]["control"], e["resources"][0]["uid"], e["status"])
        for e in events
    )
    assert seen == expected_from_seed(demo)
    assert {s for *_rest, s in seen} == {"New", "Suppressed", "Resolved"}
    for event in events:
        failing = event["status"] != "Resolved"
        assert event["compliance"]["status"] == ("Fail" if failing else "Pass"), event
        assert event["metadata"]["correlation_uid"] == report["run"]["id"]
        assert event["metadata"]["product"] == {
            "name": "accountguard.aws",
            "vendor_name": "accountguard.aws",
            "version": report["generator"]["version"],
        }
        # the resource is an ARN of the event's account (IAM, Access Analyzer, or the Organization's own ARN in
        # the management account)
        arn = event["resources"][0]["uid"].split(":")
        assert arn[0] == "arn" and arn[4] == event["cloud"]["account"]["uid"], event["resources"]

    # the demo's exceptions file accepts one deviation: exactly that finding is Suppressed, naming its owner
    exceptions = yaml.safe_load((ROOT / "inventories" / "demo-exceptions.yml").read_text())["exceptions"]
    suppressed = [e for e in events if e["status"] == "Suppressed"]
    assert len(suppressed) == len(exceptions) == 1
    assert suppressed[0]["compliance"]["control"] == exceptions[0]["control"]
    assert exceptions[0]["owner"] in suppressed[0]["comment"]

    # unchanged accounts, two runs: the same findings with the same ids and statuses; only the event ids differ
    def by_uid(run_events):
        return {e["finding_info"]["uid"]: (e["status"], e["compliance"]["status"]) for e in run_events}

    assert len(by_uid(events)) == len(events)
    assert set(by_uid(events)) == set(by_uid(events2))
    assert by_uid(events) == by_uid(events2)
    assert not {e["metadata"]["uid"] for e in events} & {e["metadata"]["uid"] for e in events2}
