"""Centralized root access, pure part: the live root state, its findings and the removal plan (tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.accountguard.aws.plugins.module_utils import _root_access as ra

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
RESOURCE = "arn:aws:iam::210987654321:root"
VIRTUAL = "arn:aws:iam::210987654321:mfa/root-account-mfa-device"
HARDWARE = "GAHT12345678"


def key(ident="AKIA1", active=True, used_days=None):
    return {
        "access_key_id": ident,
        "active": active,
        "created": "2024-01-01T00:00:00+00:00",
        "last_used": (NOW - timedelta(days=used_days)).isoformat() if used_days is not None else None,
        "last_used_service": None,
    }


def state(keys=(), password=False, password_days=None, mfa=(), certs=()):
    return {
        "access_keys": list(keys),
        "login_profile": password,
        "password_last_used": (NOW - timedelta(days=password_days)).isoformat() if password_days is not None else None,
        "mfa_devices": [{"serial_number": s, "type": "virtual" if s.startswith("arn:") else "hardware"} for s in mfa],
        "signing_certificates": [{"certificate_id": c, "active": True} for c in certs],
    }


def statuses(root, **kwargs):
    return {f["id"]: f["status"] for f in ra.assess(root, resource=RESOURCE, now=NOW, **kwargs)}


ALL_PASS = dict.fromkeys(ra.ROOT_CONTROLS, "pass")


@pytest.mark.parametrize(
    ("root", "kwargs", "expected"),
    [
        # no password, no keys, no certificates: compliant for all three, MFA or not
        (state(), {}, ALL_PASS),
        (state(), {"require_hardware_mfa": True}, ALL_PASS),
        (state(mfa=[VIRTUAL]), {"require_hardware_mfa": True}, ALL_PASS),
        # a password without MFA needs MFA; a sign-in within the window is usage
        (state(password=True), {}, {"root_access_keys": "pass", "root_mfa": "fail", "root_usage": "pass"}),
        (state(password=True, password_days=0.5, mfa=[HARDWARE]), {}, {**ALL_PASS, "root_usage": "fail"}),
        (state(password=True, password_days=5, mfa=[HARDWARE]), {"usage_days": 7}, {**ALL_PASS, "root_usage": "fail"}),
        # keys: active fails, inactive fails unless allowed; a key used today is usage
        (state(keys=[key()], mfa=[VIRTUAL]), {}, {**ALL_PASS, "root_access_keys": "fail"}),
        (state(keys=[key(active=False)], mfa=[VIRTUAL]), {}, {**ALL_PASS, "root_access_keys": "fail"}),
        (state(keys=[key(active=False)], mfa=[VIRTUAL]), {"allow_inactive_keys": True}, ALL_PASS),
        (
            state(keys=[key(used_days=0.1)], mfa=[VIRTUAL]),
            {},
            {**ALL_PASS, "root_access_keys": "fail", "root_usage": "fail"},
        ),
        # a signing certificate alone is a credential: MFA is needed again
        (state(certs=["CERT1"]), {}, {**ALL_PASS, "root_mfa": "fail"}),
        # hardware required: virtual fails, hardware passes
        (state(password=True, mfa=[VIRTUAL]), {"require_hardware_mfa": True}, {**ALL_PASS, "root_mfa": "fail"}),
        (state(password=True, mfa=[HARDWARE]), {"require_hardware_mfa": True}, ALL_PASS),
    ],
)
def test_findings_from_the_live_state(root, kwargs, expected):
    assert statuses(root, **kwargs) == expected


def test_only_the_selected_checks_and_no_usage_with_a_zero_window():
    assert statuses(state(password=True), checks=("root_mfa",)) == {"root_mfa": "fail"}
    assert "root_usage" not in statuses(state(), usage_days=0)


def test_the_key_finding_names_the_key_ids():
    findings = ra.assess(state(keys=[key("AKIAONE"), key("AKIATWO", active=False)]), resource=RESOURCE, now=NOW)
    message = next(f["message"] for f in findings if f["id"] == "root_access_keys")
    assert "AKIAONE" in message and "AKIATWO" in message and "1 active and 1 inactive" in message


@pytest.mark.parametrize(
    ("remove", "expected"),
    [
        ([], []),
        (["access_keys"], [("access_keys", "AKIA1")]),
        (["login_profile"], [("login_profile", "console password")]),
        (
            ["mfa_devices", "signing_certificates", "access_keys", "login_profile"],
            [
                ("access_keys", "AKIA1"),
                ("signing_certificates", "CERT1"),
                ("login_profile", "console password"),
                ("mfa_devices", VIRTUAL),
            ],
        ),
    ],
)
def test_removal_plan_holds_exactly_the_listed_kinds(remove, expected):
    root = state(keys=[key()], password=True, mfa=[VIRTUAL], certs=["CERT1"])
    plan = ra.removal_plan(root, remove)
    assert [(item["kind"], item["id"]) for item in plan] == expected
    after = ra.after_removal(root, plan)
    assert bool(after["access_keys"]) is ("access_keys" not in remove)
    assert after["login_profile"] is ("login_profile" not in remove)
    assert bool(after["mfa_devices"]) is ("mfa_devices" not in remove)
    assert bool(after["signing_certificates"]) is ("signing_certificates" not in remove)


def test_only_a_virtual_device_is_deleted_after_deactivation():
    plan = ra.removal_plan(state(mfa=[VIRTUAL, HARDWARE]), ["mfa_devices"])
    assert [(item["id"], item["delete_virtual"]) for item in plan] == [(VIRTUAL, True), (HARDWARE, False)]


def test_nothing_to_remove_where_nothing_is_held():
    assert ra.removal_plan(state(), list(ra.KINDS)) == []


@pytest.mark.parametrize(
    ("values", "error"),
    [
        (None, None),
        ([], None),
        (list(ra.KINDS), None),
        (["passwords"], "'passwords'"),
        ("access_keys", "must be a list"),
    ],
)
def test_kind_errors(values, error):
    errors = ra.kind_errors(values)
    assert (errors == []) if error is None else (error in errors[0])


def test_live_state_from_api_shapes_keeps_no_secret():
    created = datetime(2024, 1, 1, tzinfo=UTC)
    root = ra.live_state(
        [{"AccessKeyId": "AKIA1", "Status": "Active", "CreateDate": created}],
        {"AKIA1": {"LastUsedDate": NOW, "ServiceName": "s3"}},
        {"CreateDate": created},
        {"PasswordLastUsed": NOW},
        [{"SerialNumber": VIRTUAL, "EnableDate": created}],
        [{"CertificateId": "CERT1", "Status": "Inactive", "CertificateBody": "-----BEGIN CERTIFICATE-----"}],
    )
    assert root == {
        "access_keys": [
            {
                "access_key_id": "AKIA1",
                "active": True,
                "created": created.isoformat(),
                "last_used": NOW.isoformat(),
                "last_used_service": "s3",
            }
        ],
        "login_profile": True,
        "password_last_used": NOW.isoformat(),
        "mfa_devices": [{"serial_number": VIRTUAL, "type": "virtual"}],
        "signing_certificates": [{"certificate_id": "CERT1", "active": False}],
        "usage": {"source": "live"},
    }


# -- the report's cells: which controls a removal changes -------------------------------------------------------


@pytest.mark.parametrize(
    ("remove", "changed"),
    [
        ([], []),
        (["access_keys"], ["root_access_keys"]),
        (["signing_certificates"], ["root_access_keys"]),
        (["login_profile"], ["root_mfa"]),
        (["mfa_devices"], ["root_mfa"]),
        (["access_keys", "login_profile"], ["root_access_keys", "root_mfa"]),
        (list(ra.KINDS), ["root_access_keys", "root_mfa"]),
    ],
)
def test_changed_controls_are_the_controls_of_the_removed_kinds_never_root_usage(remove, changed):
    root = state(keys=[key()], password=True, mfa=[VIRTUAL], certs=["CERT1"])
    assert ra.changed_controls(ra.removal_plan(root, remove)) == changed


def test_a_kind_with_nothing_to_remove_changes_no_control():
    # listed, but root holds no such credential: nothing goes, no cell changes
    assert ra.changed_controls(ra.removal_plan(state(password=True), ["access_keys", "mfa_devices"])) == []


def test_every_kind_maps_to_a_root_control_other_than_root_usage():
    assert set(ra.KIND_CONTROLS) == set(ra.KINDS)
    assert set(ra.KIND_CONTROLS.values()) == {"root_access_keys", "root_mfa"}


# -- root_usage from the credential report the run read anyway --------------------------------------------------

CREATED = datetime(2024, 1, 1, tzinfo=UTC)
GENERATED = NOW - timedelta(hours=3)


def report_row(password_days=None, key_days=(), rotated=(CREATED,)):
    row = {"user": "<root_account>", "password_last_used": None}
    if password_days is not None:
        row["password_last_used"] = NOW - timedelta(days=password_days)
    for slot in (1, 2):
        prefix = f"access_key_{slot}_"
        when = rotated[slot - 1] if slot <= len(rotated) else None
        row[prefix + "active"] = when is not None
        row[prefix + "last_rotated"] = when
        days = key_days[slot - 1] if slot <= len(key_days) else None
        row[prefix + "last_used_date"] = NOW - timedelta(days=days) if days is not None else None
        row[prefix + "last_used_service"] = "s3" if days is not None else None
        row[prefix + "last_used_region"] = None
    return {"row": row, "generated_time": GENERATED}


def from_report(report, keys=(("AKIA1", CREATED),), password=True):
    return ra.live_state(
        [{"AccessKeyId": ident, "Status": "Active", "CreateDate": created} for ident, created in keys],
        {},
        {"CreateDate": CREATED} if password else None,
        None,
        [{"SerialNumber": VIRTUAL}],
        [],
        report=report,
    )


def test_the_report_gives_the_last_uses_matched_to_the_live_keys_by_creation_time():
    root = from_report(report_row(password_days=40, key_days=(2,)))
    assert root["password_last_used"] == (NOW - timedelta(days=40)).isoformat()
    assert root["access_keys"][0]["last_used"] == (NOW - timedelta(days=2)).isoformat()
    assert root["access_keys"][0]["last_used_service"] == "s3"
    assert root["usage"] == {
        "source": "credential_report",
        "generated_time": GENERATED.isoformat(),
        "access_keys_last_used": [(NOW - timedelta(days=2)).isoformat()],
    }


@pytest.mark.parametrize(
    ("report", "keys", "status"),
    [
        # uses outside the window pass, and the message names the report's time
        (report_row(password_days=40, key_days=(2,)), (("AKIA1", CREATED),), "pass"),
        # a sign-in within the window fails
        (report_row(password_days=0.2), (("AKIA1", CREATED),), "fail"),
        # a key use within the window fails, even for a key the session no longer lists (deleted since)
        (report_row(key_days=(0.1,)), (), "fail"),
        # a key created after the report: its use is not known, the others decide
        (report_row(password_days=40, key_days=(5,)), (("AKIANEW", NOW - timedelta(hours=1)),), "pass"),
    ],
)
def test_root_usage_from_the_report(report, keys, status):
    (usage,) = ra.assess(from_report(report, keys), resource=RESOURCE, now=NOW, checks=("root_usage",))
    assert usage["status"] == status
    assert f"credential report generated at {GENERATED.isoformat()}" in usage["message"]


def test_a_root_without_credentials_passes_root_usage_whatever_the_report_remembers():
    root = from_report(report_row(password_days=0.1, key_days=(0.1,)), keys=(), password=False)
    (usage,) = ra.assess(root, resource=RESOURCE, now=NOW, checks=("root_usage",))
    assert usage["status"] == "pass" and "cannot be used" in usage["message"]


def test_the_usage_source_survives_the_removal():
    root = from_report(report_row(key_days=(0.1,)))
    after = ra.after_removal(root, ra.removal_plan(root, ["access_keys"]))
    assert after["usage"] == root["usage"] and after["access_keys"] == []
