"""The emulator's IAM Access Analyzer and Account Management alternate contacts (tests/emulator/account_services.py),
proved with plain boto3 against a running server: what moto 5.2.5 lacks (Access Analyzer entirely; the checks of
an alternate-contact call with AccountId) and that both REST-JSON services reach the request log."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from emulator import DEFAULT_ACCOUNT_ID, EmulatorError

MEMBER = "333333333333"  # sandbox: the demo seed gives it no security contact
OTHER_MEMBER = "222222222222"
CONTACT = {
    "Name": "Security team",
    "Title": "CISO",
    "EmailAddress": "security@example.com",
    "PhoneNumber": "+1 555 0100",
}


def error_of(call, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


# ----- Access Analyzer -------------------------------------------------------------------------------------


def test_analyzers_are_kept_per_account_and_region(emulator):
    east = emulator.client("accessanalyzer", logged=True)
    west = emulator.client("accessanalyzer", logged=True, region="eu-west-1")
    member = emulator.client("accessanalyzer", MEMBER, logged=True)
    assert east.list_analyzers()["analyzers"] == []

    arn = east.create_analyzer(analyzerName="external", type="ACCOUNT")["arn"]
    assert arn == f"arn:aws:access-analyzer:us-east-1:{DEFAULT_ACCOUNT_ID}:analyzer/external"
    [listed] = east.list_analyzers()["analyzers"]
    assert (listed["name"], listed["type"], listed["status"], listed["arn"]) == ("external", "ACCOUNT", "ACTIVE", arn)
    assert east.get_analyzer(analyzerName="external")["analyzer"]["arn"] == arn
    # Another region and another account see none of it.
    assert west.list_analyzers()["analyzers"] == []
    assert member.list_analyzers()["analyzers"] == []

    east.create_analyzer(analyzerName="unused", type="ACCOUNT_UNUSED_ACCESS")
    assert [a["name"] for a in east.list_analyzers(type="ACCOUNT")["analyzers"]] == ["external"]
    assert {a["name"] for a in east.list_analyzers()["analyzers"]} == {"external", "unused"}
    first = east.list_analyzers(maxResults=1)
    assert len(first["analyzers"]) == 1 and first["nextToken"]
    second = east.list_analyzers(maxResults=1, nextToken=first["nextToken"])
    assert len(second["analyzers"]) == 1 and "nextToken" not in second
    assert first["analyzers"][0]["name"] != second["analyzers"][0]["name"]

    east.delete_analyzer(analyzerName="unused")
    assert [a["name"] for a in east.list_analyzers()["analyzers"]] == ["external"]


def test_create_analyzer_refuses_what_aws_refuses(emulator):
    client = emulator.client("accessanalyzer", logged=True)
    client.create_analyzer(analyzerName="external", type="ACCOUNT")
    assert error_of(client.create_analyzer, analyzerName="external", type="ACCOUNT") == ("ConflictException", 409)
    assert error_of(client.create_analyzer, analyzerName="1bad", type="ACCOUNT") == ("ValidationException", 400)
    assert error_of(client.get_analyzer, analyzerName="missing") == ("ResourceNotFoundException", 404)
    assert error_of(client.delete_analyzer, analyzerName="missing") == ("ResourceNotFoundException", 404)
    # An organization analyzer needs the management account (or delegated administrator) of an Organization.
    assert error_of(client.create_analyzer, analyzerName="org", type="ORGANIZATION") == ("AccessDeniedException", 403)


def test_organization_analyzer_from_the_management_account_with_trusted_access(emulator):
    emulator.seed_demo()
    client = emulator.client("accessanalyzer", logged=True)
    assert error_of(client.create_analyzer, analyzerName="org", type="ORGANIZATION")[0] == "AccessDeniedException"
    emulator.client("organizations").enable_aws_service_access(ServicePrincipal="access-analyzer.amazonaws.com")
    client.create_analyzer(analyzerName="org", type="ORGANIZATION")
    member = emulator.client("accessanalyzer", MEMBER, logged=True)
    assert error_of(member.create_analyzer, analyzerName="org", type="ORGANIZATION")[0] == "AccessDeniedException"
    assert [a["type"] for a in client.list_analyzers()["analyzers"]] == ["ORGANIZATION"]


def test_put_analyzer_makes_states_the_api_cannot(emulator):
    made = emulator.put_analyzer(MEMBER, "eu-west-1", "old", status="DISABLED")
    assert made["arn"] == f"arn:aws:access-analyzer:eu-west-1:{MEMBER}:analyzer/old"
    [listed] = emulator.client("accessanalyzer", MEMBER, region="eu-west-1").list_analyzers()["analyzers"]
    assert listed["status"] == "DISABLED" and listed["statusReason"]["code"] == "AWS_SERVICE_ACCESS_DISABLED"
    with pytest.raises(EmulatorError):
        emulator.put_analyzer(MEMBER, "eu-west-1", "bad", status="SLEEPING")


def test_access_analyzer_calls_are_logged_with_their_region_and_reset_forgets_analyzers(emulator):
    emulator.client("accessanalyzer", logged=True, region="eu-central-1").create_analyzer(
        analyzerName="external", type="ACCOUNT"
    )
    emulator.client("accessanalyzer", logged=True).list_analyzers()
    emulator.client("accessanalyzer").list_analyzers()  # the test's own client: not logged
    assert emulator.requests() == [
        {
            "account_id": DEFAULT_ACCOUNT_ID,
            "service": "access-analyzer",
            "action": "CreateAnalyzer",
            "write": True,
            "region": "eu-central-1",
        },
        {
            "account_id": DEFAULT_ACCOUNT_ID,
            "service": "access-analyzer",
            "action": "ListAnalyzers",
            "write": False,
            "region": "us-east-1",
        },
    ]
    emulator.reset()
    assert emulator.client("accessanalyzer", region="eu-central-1").list_analyzers()["analyzers"] == []


# ----- Alternate contacts ----------------------------------------------------------------------------------


def test_alternate_contact_of_the_own_account_and_the_request_log(emulator):
    account = emulator.client("account", logged=True)
    assert error_of(account.get_alternate_contact, AlternateContactType="SECURITY")[0] == "ResourceNotFoundException"
    account.put_alternate_contact(AlternateContactType="SECURITY", **CONTACT)
    got = account.get_alternate_contact(AlternateContactType="SECURITY")["AlternateContact"]
    assert {k: got[k] for k in CONTACT} == CONTACT and got["AlternateContactType"] == "SECURITY"
    assert [(r["service"], r["action"], r["write"]) for r in emulator.requests()] == [
        ("account", "GetAlternateContact", False),
        ("account", "PutAlternateContact", True),
        ("account", "GetAlternateContact", False),
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [("EmailAddress", "not-an-email"), ("PhoneNumber", "call me"), ("Name", "x" * 65), ("Title", "x" * 51)],
)
def test_put_alternate_contact_refuses_malformed_fields_and_stores_nothing(emulator, field, value):
    account = emulator.client("account", logged=True)
    assert error_of(account.put_alternate_contact, AlternateContactType="SECURITY", **{**CONTACT, field: value}) == (
        "ValidationException",
        400,
    )
    assert error_of(account.get_alternate_contact, AlternateContactType="SECURITY")[0] == "ResourceNotFoundException"


def test_alternate_contact_of_a_member_from_the_management_account_needs_trusted_access(emulator):
    emulator.seed_demo()
    management = emulator.client("account", logged=True)
    put = {"AccountId": MEMBER, "AlternateContactType": "SECURITY", **CONTACT}
    # Trusted access for the Account Management service is off: refused, nothing written.
    assert error_of(management.put_alternate_contact, **put) == ("AccessDeniedException", 403)
    member_own = emulator.client("account", MEMBER)
    assert error_of(member_own.get_alternate_contact, AlternateContactType="SECURITY")[0] == "ResourceNotFoundException"

    emulator.client("organizations").enable_aws_service_access(ServicePrincipal="account.amazonaws.com")
    management.put_alternate_contact(**put)
    got = member_own.get_alternate_contact(AlternateContactType="SECURITY")["AlternateContact"]
    assert got["EmailAddress"] == CONTACT["EmailAddress"]
    read = management.get_alternate_contact(AccountId=MEMBER, AlternateContactType="SECURITY")["AlternateContact"]
    assert read["Name"] == CONTACT["Name"]
    # The management account's own contact: without AccountId, never by naming itself.
    assert error_of(management.put_alternate_contact, **{**put, "AccountId": DEFAULT_ACCOUNT_ID})[0] == (
        "AccessDeniedException"
    )
    # A member may not act on another member, nor may anyone on an account outside the Organization.
    member = emulator.client("account", MEMBER, logged=True)
    assert error_of(member.put_alternate_contact, **{**put, "AccountId": OTHER_MEMBER})[0] == "AccessDeniedException"
    assert error_of(management.put_alternate_contact, **{**put, "AccountId": "999999999999"})[0] == (
        "AccessDeniedException"
    )
    # the refused put left the other member's contact (the demo seed's outdated one) as it was
    other = emulator.client("account", OTHER_MEMBER).get_alternate_contact(AlternateContactType="SECURITY")
    assert other["AlternateContact"]["EmailAddress"] == "former-admin@example.com"


# ----- IAM authorization -----------------------------------------------------------------------------------


def test_enforced_iam_authorization_covers_both_services(emulator):
    """With enforce_iam_authorization() the caller's policies decide, for Access Analyzer (answered by the
    emulator) as for the alternate contacts (answered by moto): what the least-privilege test relies on."""
    import boto3

    emulator.enforce_iam_authorization()
    iam = emulator.client("iam")
    iam.create_user(UserName="reader")
    allowed = ["access-analyzer:ListAnalyzers", "account:GetAlternateContact"]
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": allowed, "Resource": "*"}]}
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=__import__("json").dumps(policy))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    session = boto3.session.Session(
        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1"
    )
    analyzer = session.client("accessanalyzer", endpoint_url=emulator.url)
    account = session.client("account", endpoint_url=emulator.url)
    assert analyzer.list_analyzers()["analyzers"] == []
    assert error_of(account.get_alternate_contact, AlternateContactType="SECURITY")[0] == "ResourceNotFoundException"
    assert error_of(analyzer.create_analyzer, analyzerName="x", type="ACCOUNT")[1] == 403
    assert error_of(account.put_alternate_contact, AlternateContactType="SECURITY", **CONTACT)[1] == 403
    assert emulator.client("accessanalyzer").list_analyzers()["analyzers"] == []


def test_a_missing_alternate_contact_is_a_404(emulator):
    # moto answered HTTP 400; AWS's model gives ResourceNotFoundException HTTP 404.
    account = emulator.client("account", logged=True)
    assert error_of(account.get_alternate_contact, AlternateContactType="SECURITY") == (
        "ResourceNotFoundException",
        404,
    )
