"""The OCSF export (_ocsf.py): the report's findings as OCSF Compliance Finding events, validated against the
vendored JSON schema of the OCSF version the events name (tests/ocsf/, scripts/ocsf_schema.py)."""

from __future__ import annotations

import datetime
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.accountguard.aws.plugins.module_utils._findings import CIS_VERSIONS, CONTROLS, cis_ids
from ansible_collections.accountguard.aws.plugins.plugin_utils import _ocsf, _report
from ansible_collections.accountguard.aws.plugins.plugin_utils._drift import Assessment
from ansible_collections.accountguard.aws.plugins.plugin_utils._exceptions import AccountContext, Exceptions, parse

ROOT = Path(__file__).resolve().parents[4]
SCHEMA = ROOT / "tests" / "ocsf" / f"compliance_finding-{_ocsf.OCSF_VERSION}.schema.json"
CTRLS = {cid: {"title": c["title"], "cis": cis_ids(cid)} for cid, c in CONTROLS.items()}
PROD = "111111111111"
ROOT_ARN = f"arn:aws:iam::{PROD}:root"
BOB = f"arn:aws:iam::{PROD}:user/team/bob"
ERIN = f"arn:aws:iam::{PROD}:user/erin"
ADMIN_ROLE = f"arn:aws:iam::{PROD}:role/admin"
CERT = f"arn:aws:iam::{PROD}:server-certificate/old"
STARTED, FINISHED = "2026-11-27T22:03:25Z", "2026-11-27T22:04:02Z"


def validator():
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def finding(cid, status, resource=ROOT_ARN, message="m", check=None):
    return {"id": cid, "status": status, "resource": resource, "message": message, "cis": cis_ids(cid, check)}


def exceptions_file(*entries):
    base = {"account": PROD, "reason": "break-glass user", "owner": "sec@example.com", "ticket": "SEC-7"}
    data = {"schema_version": 1, "exceptions": [{**base, "expires": "2027-01-01", **e} for e in entries]}
    return Exceptions("/inv/exceptions.yml", parse(data, CONTROLS), datetime.date(2026, 6, 15), 14)


def build(run_id="20261127T220325Z", finished=FINISHED, mode="check", message="m", exceptions=None, version="0.1.0"):
    """A report of two accounts with a cell of every kind: compliant, drift by findings (some passing), drift by a
    would-change, accepted, failed, skipped, and an unreachable account."""
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host("prod", account_id=PROD, name="Prod", ou_path="Root/Workloads/Prod")
    builder.add_host("down", account_id="333333333333")
    check = mode == "check"
    builder.add_event(
        "prod",
        "policy",
        "changed",
        {"changed": True, "diff": {"before": {"minimum_password_length": 8}, "after": {"minimum_password_length": 14}}},
        tags=("password_policy",),
        check_mode=check,
    )
    mfa = [
        finding("root_mfa", "fail", message=f"root user has no MFA {message}", check="mfa"),
        finding("user_mfa", "fail", BOB, "bob has no MFA"),
        finding("user_mfa", "fail", ERIN, "erin has no MFA"),
        finding("user_mfa", "pass", f"arn:aws:iam::{PROD}:user/carol", "carol has MFA"),
    ]
    builder.add_event("prod", "mfa", "ok", {"findings": mfa}, tags=("root_mfa", "user_mfa"), check_mode=check)
    root = [finding("root_access_keys", "pass"), finding("root_usage", "pass")]
    builder.add_event("prod", "root", "ok", {"findings": root}, tags=("root_access_keys", "root_usage"))
    builder.add_event("prod", "admins", "ok", {"findings": [finding("admin_policies", "fail", ADMIN_ROLE, "*:*")]})
    builder.add_event("prod", "certs", "ok", {"findings": [finding("server_certificates", "fail", CERT, "expired")]})
    builder.add_event("prod", "users", "failed", {"msg": "AccessDenied"}, tags=("iam_users",))
    builder.add_event("prod", "group", "skipped", {}, tags=("admin_group",))
    builder.add_event("down", "session", "unreachable", {"msg": "gone"})
    if exceptions is not None:
        account = AccountContext(PROD, "Prod", "Root/Workloads/Prod")
        builder.add_assessment(
            "prod", Assessment(PROD, exceptions={**exceptions.to_dict(), "account": account.to_dict()})
        )
    generator = {"name": "accountguard.aws.report", "version": version, "ansible_core": "2.19.0"}
    return builder.build(
        run_id=run_id, started=STARTED, finished=finished, mode=mode, playbooks=["baseline.yml"], generator=generator
    )


def by_control(events):
    out = {}
    for event in events:
        out.setdefault(event["compliance"]["control"], []).append(event)
    return out


def test_every_event_validates_against_the_schema_of_the_version_it_names():
    assert SCHEMA.exists(), "run scripts/ocsf_schema.py after changing OCSF_VERSION"
    check = validator()
    for report in (build(), build(mode="apply"), build(exceptions=exceptions_file({"control": "user_mfa"}))):
        events = _ocsf.events(report)
        assert events
        for event in events:
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in check.iter_errors(event)]
            assert errors == [], (event["compliance"]["control"], errors)
            assert event["metadata"]["version"] == _ocsf.OCSF_VERSION
            assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)


def test_the_schema_catches_what_it_should():
    """The vendored schema is strict: a misspelt attribute, a wrong enum value or a missing field fails."""
    check = validator()
    good = _ocsf.events(build())[0]
    assert check.is_valid(good)
    for broken in (
        {**good, "finding_infos": good["finding_info"]},
        {**good, "status_id": 42},
        {**good, "compliance": {**good["compliance"], "status_id": 4}},
        {**good, "resources": [{"uid": 1}]},
        {k: v for k, v in good.items() if k != "metadata"},
        {**good, "class_uid": 2004},
    ):
        assert not check.is_valid(broken), broken


def test_one_event_per_deviation_and_per_compliant_pair():
    events = by_control(_ocsf.events(build()))
    # failing findings: one each, the passing one of the drifted user_mfa pair none
    assert [e["resources"][0]["uid"] for e in events["user_mfa"]] == [BOB, ERIN]
    assert [e["resources"][0]["uid"] for e in events["root_mfa"]] == [ROOT_ARN]
    assert [e["resources"][0]["uid"] for e in events["admin_policies"]] == [ADMIN_ROLE]
    # drift no finding explains (a task would change the policy): one event on the account
    assert len(events["password_policy"]) == 1
    policy = events["password_policy"][0]
    assert policy["resources"][0]["uid"] == ROOT_ARN and policy["status_code"] == "drift"
    assert policy["message"] == "would change: minimum_password_length"
    # compliant pairs: one each, on the account
    for cid in ("root_access_keys", "root_usage"):
        assert len(events[cid]) == 1 and events[cid][0]["status_code"] == "compliant"
    # failed, skipped and unreachable pairs were not evaluated: no event (and none of the unreachable account)
    assert "iam_users" not in events and "admin_group" not in events
    assert {e["cloud"]["account"]["uid"] for es in events.values() for e in es} == {PROD}
    assert sum(map(len, events.values())) == 1 + 1 + 2 + 1 + 1 + 2  # policy, root_mfa, user_mfa, admin, cert, pairs


@pytest.mark.parametrize(
    ("cid", "status_code", "status", "compliance", "severity"),
    [
        ("root_mfa", "fail", (1, "New"), (3, "Fail"), (5, "Critical")),
        ("admin_policies", "fail", (1, "New"), (3, "Fail"), (4, "High")),
        ("password_policy", "drift", (1, "New"), (3, "Fail"), (3, "Medium")),
        ("root_usage", "compliant", (4, "Resolved"), (1, "Pass"), (1, "Informational")),
    ],
)
def test_statuses_and_severity(cid, status_code, status, compliance, severity):
    event = by_control(_ocsf.events(build()))[cid][0]
    assert event["status_code"] == status_code
    assert (event["status_id"], event["status"]) == status
    assert (event["compliance"]["status_id"], event["compliance"]["status"]) == compliance
    assert (event["severity_id"], event["severity"]) == severity


def test_a_would_change_says_what_it_would_do():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host("prod", account_id=PROD)
    group = {"changed": True, "diff": {"before": None, "after": {"group_name": "admins"}}}
    builder.add_event("prod", "group", "changed", group, tags=("admin_group",), check_mode=True)
    builder.add_event("prod", "users", "changed", {"changed": True}, tags=("iam_users",), check_mode=True)
    events = by_control(_ocsf.events(builder.build(run_id="r", started=STARTED, finished=FINISHED, mode="check")))
    assert events["admin_group"][0]["message"] == "would create"
    assert events["iam_users"][0]["message"] == "would change (users)"


def test_a_changed_pair_of_an_apply_run_is_compliant():
    policy = by_control(_ocsf.events(build(mode="apply")))["password_policy"]
    assert len(policy) == 1
    assert (policy[0]["compliance"]["status"], policy[0]["status"], policy[0]["status_code"]) == (
        "Pass",
        "Resolved",
        "changed",
    )


def test_accepted_findings_are_suppressed_with_the_exception():
    report = build(exceptions=exceptions_file({"control": "user_mfa", "resource": BOB}))
    users = {e["resources"][0]["uid"]: e for e in by_control(_ocsf.events(report))["user_mfa"]}
    bob, erin = users[BOB], users[ERIN]
    # still a failing control, but reviewed and accepted: Suppressed, not New
    assert (bob["status_id"], bob["status"], bob["status_code"]) == (3, "Suppressed", "accepted")
    assert (bob["compliance"]["status_id"], bob["severity"]) == (3, "Medium")
    assert (
        bob["comment"]
        == "accepted exception #0: break-glass user; owner sec@example.com; expires 2027-01-01; ticket SEC-7"
    )
    assert bob["unmapped"]["exception"]["owner"] == "sec@example.com"
    assert (erin["status_id"], erin["status"]) == (1, "New") and "comment" not in erin
    # an accepted cell (every failing finding accepted) gives suppressed events only
    report = build(exceptions=exceptions_file({"control": "user_mfa"}))
    users = by_control(_ocsf.events(report))["user_mfa"]
    assert [e["status"] for e in users] == ["Suppressed", "Suppressed"]
    assert {e["unmapped"]["report_status"] for e in users} == {"accepted"}


def keys_report(exceptions=None, changed=False):
    """access_key_rotation: bob's key too old and unused (two findings, one resource), erin's key too old."""
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host("prod", account_id=PROD)
    keys = [
        finding("access_key_rotation", "fail", BOB, "key 1 of bob is 200 days old", check="rotation"),
        finding("access_key_rotation", "fail", BOB, "key 1 of bob was never used", check="unused"),
        finding("access_key_rotation", "fail", BOB, "key 1 of bob was never used", check="unused"),
        finding("access_key_rotation", "fail", ERIN, "key 1 of erin is 100 days old", check="rotation"),
    ]
    status = "changed" if changed else "ok"
    builder.add_event("prod", "keys", status, {"findings": keys}, tags=("access_key_rotation",), check_mode=True)
    if exceptions is not None:
        account = AccountContext(PROD, "Prod", "Root/Workloads/Prod")
        builder.add_assessment(
            "prod", Assessment(PROD, exceptions={**exceptions.to_dict(), "account": account.to_dict()})
        )
    return builder.build(run_id="r", started=STARTED, finished=FINISHED, mode="check")


def test_findings_of_one_resource_are_one_event():
    bob, erin = _ocsf.events(keys_report())
    assert (bob["resources"][0]["uid"], erin["resources"][0]["uid"]) == (BOB, ERIN)
    assert bob["finding_info"]["uid"] == _ocsf.finding_uid(PROD, "access_key_rotation", BOB)
    assert bob["message"] == "key 1 of bob is 200 days old; key 1 of bob was never used"
    # both checks' CIS ids, in the control's order (versions oldest first)
    rotation, unused = cis_ids("access_key_rotation", "rotation"), cis_ids("access_key_rotation", "unused")
    order = cis_ids("access_key_rotation")
    assert bob["compliance"]["requirements"] == sorted(set(rotation + unused), key=order.index)
    assert erin["compliance"]["requirements"] == rotation
    assert validator().is_valid(bob)


def test_an_accepted_resource_is_one_suppressed_event_unless_something_else_deviates_there():
    # an exception names bob's ARN: it covers both of bob's findings, and bob's one event is suppressed
    report = keys_report(exceptions=exceptions_file({"control": "access_key_rotation", "resource": BOB}))
    bob, erin = _ocsf.events(report)
    assert (bob["status"], bob["status_code"], erin["status"]) == ("Suppressed", "accepted", "New")
    # a would-change beside an accepted finding on the same resource: one event, a deviation to act on
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host("prod", account_id=PROD)
    builder.add_event(
        "prod", "mfa", "changed", {"findings": [finding("root_mfa", "fail")]}, tags=("root_mfa",), check_mode=True
    )
    account = AccountContext(PROD, "Prod", "Root/Workloads/Prod")
    exceptions = exceptions_file({"control": "root_mfa"})
    builder.add_assessment("prod", Assessment(PROD, exceptions={**exceptions.to_dict(), "account": account.to_dict()}))
    (event,) = _ocsf.events(builder.build(run_id="r", started=STARTED, finished=FINISHED, mode="check"))
    assert (event["status"], event["status_code"], event["unmapped"]["report_status"]) == ("New", "drift", "drift")
    assert event["resources"][0]["uid"] == ROOT_ARN and "would change" in event["message"]


def test_finding_uid_depends_on_account_control_and_resource_only():
    first = _ocsf.events(build())
    # another run: other id, other time, another message, another collection version
    again = _ocsf.events(build(run_id="20261128T060000Z", finished="2026-11-28T06:01:00Z", message="x", version="9"))
    assert [e["finding_info"]["uid"] for e in first] == [e["finding_info"]["uid"] for e in again]
    assert len({e["finding_info"]["uid"] for e in first}) == len(first)
    # an accepted deviation keeps its uid: accepting it suppresses the same finding
    accepted = _ocsf.events(build(exceptions=exceptions_file({"control": "user_mfa"})))
    assert {e["finding_info"]["uid"] for e in accepted} == {e["finding_info"]["uid"] for e in first}
    # the event instance is the run's: metadata.uid differs, the run id correlates
    assert first[0]["metadata"]["uid"] != again[0]["metadata"]["uid"]
    assert again[0]["metadata"]["correlation_uid"] == "20261128T060000Z"
    assert again[0]["time"] == int(datetime.datetime(2026, 11, 28, 6, 1, tzinfo=datetime.UTC).timestamp() * 1000)
    # each input changes it; the format is pinned (consumers key on it: changing it makes every finding new)
    uid = _ocsf.finding_uid(PROD, "user_mfa", BOB)
    assert (
        uid
        == "accountguard.aws:111111111111:user_mfa:"
        + __import__("hashlib").sha256(f"{PROD}\nuser_mfa\n{BOB}".encode()).hexdigest()[:32]
    )
    others = {
        _ocsf.finding_uid("222222222222", "user_mfa", BOB),
        _ocsf.finding_uid(PROD, "root_mfa", BOB),
        _ocsf.finding_uid(PROD, "user_mfa", ERIN),
    }
    assert uid not in others and len(others) == 3


def test_an_account_level_deviation_and_its_compliant_pair_share_the_uid():
    """root_mfa drifts in one run and is compliant in the next: the same finding goes from New to Resolved."""
    drifted = by_control(_ocsf.events(build()))["root_mfa"][0]
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host("prod", account_id=PROD)
    builder.add_event("prod", "mfa", "ok", {"findings": [finding("root_mfa", "pass")]}, tags=("root_mfa",))
    fixed = _ocsf.events(builder.build(run_id="r2", started=STARTED, finished=FINISHED, mode="check"))
    assert [e["finding_info"]["uid"] for e in fixed] == [drifted["finding_info"]["uid"]]
    assert (fixed[0]["status"], drifted["status"]) == ("Resolved", "New")


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (ROOT_ARN, {"uid": ROOT_ARN, "type": "AwsAccount", "name": PROD, "cloud_partition": "aws"}),
        (BOB, {"uid": BOB, "type": "AwsIamUser", "name": "bob", "cloud_partition": "aws"}),
        (ADMIN_ROLE, {"uid": ADMIN_ROLE, "type": "AwsIamRole", "name": "admin", "cloud_partition": "aws"}),
        (
            "arn:aws-us-gov:iam::111111111111:group/admins",
            {
                "uid": "arn:aws-us-gov:iam::111111111111:group/admins",
                "type": "AwsIamGroup",
                "name": "admins",
                "cloud_partition": "aws-us-gov",
            },
        ),
        (CERT, {"uid": CERT, "type": "Other", "name": "old", "cloud_partition": "aws"}),
        ("not an arn", {"uid": "not an arn", "type": "Other"}),
    ],
)
def test_resources_carry_the_arn(arn, expected):
    assert _ocsf.resource_of(arn) == expected


def test_account_cloud_and_product_metadata():
    event = by_control(_ocsf.events(build()))["root_mfa"][0]
    assert event["cloud"] == {
        "provider": "AWS",
        "account": {"uid": PROD, "type_id": 10, "type": "AWS Account", "name": "Prod"},
        "cloud_partition": "aws",
    }
    assert event["metadata"]["product"] == {
        "name": "accountguard.aws",
        "vendor_name": "accountguard.aws",
        "version": "0.1.0",
    }
    assert event["metadata"]["profiles"] == ["cloud"]
    assert event["unmapped"] == {"host": "prod", "report_status": "drift", "ou_path": "Root/Workloads/Prod"}
    assert event["finding_info"]["title"] == CONTROLS["root_mfa"]["title"]
    assert event["finding_info"]["analytic"] == {"uid": "root_mfa", "name": "root_mfa", "type_id": 1, "type": "Rule"}
    # no collection version known: none invented
    unknown = _ocsf.events(build(version=None))[0]
    assert "version" not in unknown["metadata"]["product"]


def test_compliance_names_the_cis_ids_of_every_version():
    events = by_control(_ocsf.events(build()))
    root_mfa = events["root_mfa"][0]["compliance"]
    # the finding's own ids (its check: MFA, not hardware MFA), in every benchmark version
    assert root_mfa["requirements"] == cis_ids("root_mfa", "mfa")
    assert root_mfa["standards"] == ["accountguard.aws baseline"] + [
        f"CIS AWS Foundations Benchmark v{v.removeprefix('cis-aws-')}" for v in CIS_VERSIONS
    ]
    assert root_mfa["control"] == "root_mfa" and root_mfa["desc"] == CONTROLS["root_mfa"]["title"]
    assert root_mfa["status_details"] == ["root user has no MFA m"]
    # a compliant pair cites the control's ids
    assert events["root_usage"][0]["compliance"]["requirements"] == cis_ids("root_usage")


def test_a_control_without_cis_ids_still_names_the_baseline():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host("prod", account_id=PROD)
    builder.add_event("prod", "group", "ok", {}, tags=("admin_group",))
    (event,) = _ocsf.events(builder.build(run_id="r", started=STARTED, finished=FINISHED, mode="check"))
    assert (
        event["compliance"]["standards"] == ["accountguard.aws baseline"] and event["compliance"]["requirements"] == []
    )
    assert validator().is_valid(event)


def test_the_account_id_comes_from_the_findings_when_the_host_has_none():
    builder = _report.ReportBuilder(CTRLS)
    builder.add_host("anonymous")
    builder.add_host("nothing")
    builder.add_event("anonymous", "mfa", "ok", {"findings": [finding("root_mfa", "fail")]}, tags=("root_mfa",))
    builder.add_event("nothing", "policy", "ok", {}, tags=("password_policy",))
    events = _ocsf.events(builder.build(run_id="r", started=STARTED, finished=FINISHED, mode="check"))
    # the account without an id or an ARN naming one has no event: there is no account to attribute it to
    assert [(e["cloud"]["account"]["uid"], e["unmapped"]["host"]) for e in events] == [(PROD, "anonymous")]
    assert "name" not in events[0]["cloud"]["account"]


def test_every_control_has_a_severity():
    assert set(_ocsf.SEVERITY) == set(CONTROLS)
    assert set(_ocsf.SEVERITY.values()) <= set(_ocsf.SEVERITY_CAPTIONS)


def test_render_ocsf_is_json_lines():
    report = build()
    text = _ocsf.render_ocsf(report)
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == len(_ocsf.events(report))
    assert [json.loads(line) for line in lines] == _ocsf.events(report)
    assert _report.RENDERERS["ocsf"] == ("ocsf.jsonl", _ocsf.render_ocsf)
    empty = _report.ReportBuilder(CTRLS).build(run_id="r", started=STARTED, finished=FINISHED, mode="check")
    assert _ocsf.render_ocsf(empty) == ""


@pytest.mark.skipif(
    importlib.util.find_spec("ocsf_json_schema") is None, reason="ocsf-json-schema (requirements-dev.txt) missing"
)
def test_the_vendored_schema_is_what_the_script_generates():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "ocsf_schema.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
