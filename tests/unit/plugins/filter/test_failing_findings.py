"""The failing_findings filter of the drift gate (plugins/filter/failing_findings.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.accountguard.aws.plugins.filter.failing_findings import FilterModule

failing_findings = FilterModule().filters()["failing_findings"]


def test_returns_the_failing_findings():
    results = [{"findings": [{"id": "a", "status": "fail"}, {"id": "b", "status": "pass"}]}, {"skipped": True}]
    assert failing_findings(results) == [{"id": "a", "status": "fail"}]


@pytest.mark.parametrize("bad", ["findings", {"findings": []}, 3, None])
def test_refuses_what_is_not_a_list_of_results(bad):
    with pytest.raises(AnsibleFilterError, match="expects a list of task results"):
        failing_findings(bad)
