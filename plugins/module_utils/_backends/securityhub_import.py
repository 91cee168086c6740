# Copyright: Contributors to the accountguard.aws project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Backend of accountguard.aws.securityhub_import (module and action plugin).

The account's findings (the registered results of the baseline's tasks) as ASFF findings in the account's own
Security Hub: one GetFindings listing of this collection's earlier findings, then BatchImportFindings in batches of
100 and, only where a workflow changes, BatchUpdateFindings. The mapping is _securityhub's (pure); this file only
orders the calls. Under check mode nothing is read or written unless ``import_in_check`` says so.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError

from ansible_collections.accountguard.aws.plugins.module_utils import _securityhub as asff
from ansible_collections.accountguard.aws.plugins.module_utils._common import iso, utcnow
from ansible_collections.accountguard.aws.plugins.module_utils._findings import CONTROLS, account_root_arn, finding
from ansible_collections.accountguard.aws.plugins.module_utils._gateway import securityhub as gateway
from ansible_collections.accountguard.aws.plugins.module_utils._runtime import (
    MAX_FAILURES_IN_MSG,
    ControlFailure,
    ControlSpec,
    fail_on_errors,
)

NOT_ENABLED = "InvalidAccessException"

ARGUMENT_SPEC = dict(
    account_id=dict(type="str", required=True),
    results=dict(type="list", elements="raw", default=[]),
    enforced=dict(type="dict", default={}),
    import_in_check=dict(type="bool", default=False),
    accepted_exceptions=dict(
        type="list",
        elements="dict",
        default=[],
        options=dict(
            control=dict(type="str", required=True),
            resource=dict(type="str"),
            reason=dict(type="str", required=True),
            owner=dict(type="str", required=True),
            expires=dict(type="str", required=True),
            ticket=dict(type="str"),
            index=dict(type="int"),
        ),
    ),
    # Resolved on the controller by the action plugin into accepted_exceptions (plugin_utils/_exceptions).
    exceptions_file=dict(type="path"),
    exceptions_base_dir=dict(type="path"),
    account_name=dict(type="str"),
    ou_path=dict(type="str"),
    account_tags=dict(type="dict", default={}),
)


def input_errors(params: dict) -> list[str]:
    errors = []
    if not str(params["account_id"]).isdigit() or len(str(params["account_id"])) != 12:
        errors.append(f"account_id must be a 12-digit AWS account id, got {params['account_id']!r}")
    unknown = sorted({str(e["control"]) for e in params["accepted_exceptions"] if e["control"] not in CONTROLS})
    unknown += sorted(str(c) for c in params["enforced"] if c not in CONTROLS)
    if unknown:
        errors.append(f"unknown control id(s) {', '.join(unknown)}")
    return errors


def task_findings(results: list, enforced: dict, check_mode: bool) -> tuple[list[dict], list[str]]:
    """The findings of the registered results, and the controls they cover; an enforcing task (no findings of its
    own) counts as one account-level finding: PASSED once enforced, FAILED when --check says it would change."""
    findings, controls = [], []
    for result in results:
        if not isinstance(result, dict) or result.get("skipped") or result.get("failed"):
            continue
        for found in result.get("findings") or ():
            if isinstance(found, dict) and found.get("id") in CONTROLS:
                findings.append(found)
                controls.append(found["id"])
        controls += [c for c in result.get("controls") or () if c in CONTROLS]
    for control, result in enforced.items():
        if not isinstance(result, dict) or not result or result.get("skipped") or result.get("failed"):
            continue
        would_change = check_mode and bool(result.get("changed"))
        message = (
            "would change: run without --check to enforce it"
            if would_change
            else "enforced by the baseline: the account's settings are as declared"
        )
        findings.append(finding(control, "fail" if would_change else "pass", "", message))
        controls.append(control)
    return findings, list(dict.fromkeys(controls))


def _code(error: AnsibleAWSError) -> str | None:
    response = getattr(error.exception, "response", None) or {}
    return (response.get("Error") or {}).get("Code")


def run(ctx) -> dict:
    params = ctx.params
    fail_on_errors(input_errors(params))
    account_id = params["account_id"]
    findings, controls = task_findings(params["results"], params["enforced"], ctx.check_mode)
    accepted = asff.accepted_from(params["accepted_exceptions"])
    if ctx.check_mode and not params["import_in_check"]:
        return {
            "changed": False,
            "imported": False,
            "msg": "check mode: nothing sent to Security Hub (import_in_check is false)",
            "controls": controls,
        }

    try:
        client = ctx.client("securityhub")
    except Exception as error:  # botocore's NoRegionError, without importing botocore here
        if type(error).__name__ != "NoRegionError":
            raise
        raise ControlFailure(
            "Security Hub is regional and no region is set: set baseline_securityhub_region (option region), "
            "AWS_REGION or the profile's region"
        ) from None
    root = account_root_arn(f.get("resource") for f in findings) or f"arn:aws:iam::{account_id}:root"
    target = asff.Target(
        account_id=account_id,
        region=client.meta.region_name,
        now=iso(utcnow()).replace("+00:00", "Z"),
        partition=root.split(":")[1],
    )
    merged = asff.merge(findings, target.root_arn, accepted)
    try:
        earlier = gateway.get_findings(client, target.product_arn, account_id, asff.GENERATOR_PREFIX)
        existing = [asff.Existing.from_finding(f) for f in earlier]
        plan = asff.plan(merged, existing, target, controls)
        failed = []
        for batch in plan.import_batches():
            answer = gateway.batch_import_findings(client, batch)
            failed += answer.get("FailedFindings") or []
        for update in plan.workflow:
            for ids in asff.batches(update.ids):
                identifiers = [{"Id": fid, "ProductArn": target.product_arn} for fid in ids]
                answer = gateway.batch_update_findings(
                    client, identifiers, update.status, update.note, asff.NOTE_AUTHOR
                )
                failed += answer.get("UnprocessedFindings") or []
    except AnsibleAWSError as error:
        if _code(error) == NOT_ENABLED:
            raise ControlFailure(
                f"Security Hub is not enabled in account {account_id} in {target.region} ({NOT_ENABLED}): enable it "
                "there (or in the Organization's delegated administrator for every account), or set "
                "baseline_securityhub_import: false for this account"
            ) from None
        raise
    result = {
        "changed": False,
        "imported": True,
        "product_arn": target.product_arn,
        "region": target.region,
        "controls": controls,
        "counts": dict(plan.counts),
        "workflow_updates": [{"status": u.status, "count": len(u.ids)} for u in plan.workflow],
        "calls": {"get_findings": 1, "writes": plan.writes()},
    }
    if failed:
        shown = [
            f"{f.get('Id') or (f.get('FindingIdentifier') or {}).get('Id')}: {f.get('ErrorCode')} "
            f"{f.get('ErrorMessage')}"
            for f in failed[:MAX_FAILURES_IN_MSG]
        ]
        raise ControlFailure(f"Security Hub refused {len(failed)} finding(s): " + "; ".join(shown), **result)
    return result


SPEC = ControlSpec(name="securityhub_import", argument_spec=ARGUMENT_SPEC, run=run)
