"""The workflow and the worker agree on every activity: its name, argument and result types.

The workflow calls activities by the contracts in `complaints.contracts`; the worker
registers `ComplaintActivities`' methods. A renamed activity, a changed argument model or a
new activity without a contract fails here, before any case could schedule a name no
worker serves.
"""

from __future__ import annotations

import inspect
from typing import Any, get_type_hints

import pytest
from temporalio import activity

from activities import ComplaintActivities
from activities.case_priority import CasePriority
from complaints import contracts
from complaints.contracts import ActivityContract


def registered(holder: type = ComplaintActivities) -> dict[str, Any]:
    """Each activity the worker registers from `holder`, by its name."""
    found: dict[str, Any] = {}
    for method in holder.__dict__.values():
        definition = activity._Definition.from_callable(method) if callable(method) else None
        if definition is not None and definition.name is not None:
            found[definition.name] = method
    return found


def test_every_contract_has_one_registered_activity_and_every_activity_a_contract() -> None:
    names = [contract.name for contract in contracts.ALL]
    assert len(names) == len(set(names)), names
    assert sorted(names) == sorted(registered())


@pytest.mark.parametrize("contract", contracts.ALL, ids=lambda contract: contract.name)
def test_the_activity_takes_and_returns_the_declared_types(contract: ActivityContract[Any, Any]) -> None:
    method = registered()[contract.name]
    hints = get_type_hints(method)
    parameters = [name for name in inspect.signature(method).parameters if name != "self"]
    if contract.arg is None:
        assert parameters == [], parameters
    else:
        assert [hints[name] for name in parameters] == [contract.arg]
    assert hints["return"] is (type(None) if contract.result is None else contract.result)


def test_the_worker_registers_exactly_the_contracted_activities(tmp_path: Any) -> None:
    """`ComplaintActivities.all()` is what worker.py hands the Worker."""
    from infra.settings import Settings

    acts = ComplaintActivities(Settings(data_dir=tmp_path))
    served = {activity._Definition.must_from_callable(fn).name for fn in acts.all()}
    assert served == {contract.name for contract in contracts.ALL}


def test_the_case_priority_activity_matches_its_contract() -> None:
    found = registered(CasePriority)
    assert sorted(found) == [contract.name for contract in contracts.CASE_PRIORITY]
    hints = get_type_hints(found[contracts.SET_CASE_PRIORITY.name])
    assert (hints["priority_key"], hints["return"]) == (contracts.SET_CASE_PRIORITY.arg, type(None))


@pytest.mark.parametrize("contract", contracts.REVIEWS, ids=lambda contract: contract.name)
def test_the_review_activities_match_their_contracts(contract: ActivityContract[Any, Any]) -> None:
    """The scheduled reviews' activities (issue 17): registered by name, taking and returning the declared types."""
    from activities.emerging_activities import EmergingActivities
    from activities.monthly_report import MonthlyReportActivities

    found = registered(EmergingActivities) | registered(MonthlyReportActivities)
    assert sorted(found) == sorted(c.name for c in contracts.REVIEWS)
    hints = get_type_hints(found[contract.name])
    parameters = [name for name in inspect.signature(found[contract.name]).parameters if name != "self"]
    assert [hints[name] for name in parameters] == [contract.arg]
    assert hints["return"] is contract.result
