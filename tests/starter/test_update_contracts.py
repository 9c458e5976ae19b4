"""The workflow's updates and the ways to reach them, checked in both directions.

Every `@workflow.update` of `ComplaintWorkflow` has its action model in the client's map, a
`complaints admin` command, and an HTTP route unless this file says why not; every action
model in the map goes to an existing update whose parameter is that model. The CLI commands
and routes are run for real (in process, with the Temporal call replaced) to see which action
each one sends, so a command that builds the wrong model is caught too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, get_type_hints

import pytest
import typer
from fastapi.testclient import TestClient
from pydantic import BaseModel, SecretStr
from temporalio import workflow
from typer.testing import CliRunner

import starter.api.app
import starter.cli.admin_actions
import starter.cli.common
from infra.settings import Settings
from starter.api import create_app
from starter.cli import app
from starter.cli.admin import admin
from starter.cli.admin_queues import looking
from starter.client import UPDATE_FOR_ACTION, query_name, update_id_for, update_name
from workflows import ComplaintWorkflow

DEFINITION = workflow._Definition.must_from_class(ComplaintWorkflow)
UPDATES = DEFINITION.updates

# Updates deliberately not on the HTTP API, and why. The API is the side of the systems in front
# (CRM, web forms, the call centre): what customers send, and urgency those systems flag. Staff
# decide through `complaints admin`, where they act as themselves.
NOT_ON_HTTP = {
    "submit_findings": "staff: the investigating department's findings",
    "approve": "staff: an approval decision within the approver's own limit",
    "reject": "staff: an approval decision",
    "amend": "staff: an approval decision",
    "reassign": "staff: handing the case over, with a brief",
    "add_note": "staff: an internal note",
    "resolve_payout": "staff: what to do after the payment system refused a payout",
    "request_information": "staff: what the case owner needs to ask",
    "correct_contact": "staff: a checked address or another channel",
    "reopen": "customer, but recorded by staff today (`admin reopen`): not on the API yet",
    "withdraw": "customer, but recorded by staff today (`admin withdraw`): not on the API yet",
    "resume": "staff: letting a case go on after a problem that needed a person",
}
# Every update is a staff or customer action someone may need to record: all are on the CLI.
NOT_ON_CLI: dict[str, str] = {}

# One valid invocation of each `complaints admin` action command.
CLI_ACTIONS: dict[str, list[str]] = {
    "findings": [
        "--by",
        "alex",
        "--severity",
        "3",
        "--summary",
        "charged twice",
        "--root-cause",
        "retry bug",
        "--cause",
        "billing.duplicate-charge",
    ],
    "approve": ["--by", "tl-jordan"],
    "reject": ["--by", "tl-jordan", "--reason", "too much"],
    "amend": ["--by", "tl-jordan", "--amount", "75.00", "--reason", "fairer"],
    "offer-response": ["accept"],
    "payout": ["retry", "--by", "alex"],
    "reopen": ["--reason", "still broken"],
    "feedback": ["--csat", "5"],
    "reassign": ["--to", "sam", "--brief", "billing expert needed"],
    "note": ["called the customer", "--by", "alex"],
    "withdraw": [],
    "ask": ["--questions", "which card?", "--by", "alex"],
    "message": ["it was the card ending 1881"],
    "contact": ["--by", "alex", "--email", "ada@example.org"],
    "priority": ["urgent", "--by", "tl-jordan", "--reason", "vulnerable customer"],
    "resume": ["--by", "alex", "--note", "rules fixed"],
}

# One valid body for each action route under /complaints/{complaint_id}/.
HTTP_ACTIONS: dict[str, dict[str, Any]] = {
    "/complaints/{complaint_id}/messages": {"text": "it was the card ending 1881"},
    "/complaints/{complaint_id}/offer-response": {"answer": "accept"},
    "/complaints/{complaint_id}/feedback": {"csat": 5},
    "/complaints/{complaint_id}/priority": {"priority": "urgent", "by": "tl-jordan", "reason": "vulnerable"},
}


def parameter_types(update_name_: str) -> list[Any]:
    """The declared types of an update's parameters, `self` and the return left out."""
    hints = get_type_hints(UPDATES[update_name_].fn)
    hints.pop("return", None)
    return list(hints.values())


def update_for(model: type[BaseModel]) -> str:
    return update_name(UPDATE_FOR_ACTION[model])


class SentActions(list[BaseModel]):
    """The actions sent, in order, and the update id each went with."""

    def __init__(self) -> None:
        super().__init__()
        self.update_ids: list[str | None] = []


@contextlib.contextmanager
def capturing_actions(*modules: Any) -> Iterator[SentActions]:
    """Replace `send_action` where these modules call it: record the action, confirm it, send nothing.

    The CLI's look at the history for an earlier update with the same id finds none.
    """
    sent = SentActions()

    async def send_action(client: object, reference: str, action: BaseModel, **options: Any) -> str:
        sent.append(action)
        sent.update_ids.append(options.get("update_id"))
        return "confirmed"

    async def accepted_action(*_: object) -> None:
        return None

    async def connect() -> object:
        return SimpleNamespace(namespace="contracts")

    with pytest.MonkeyPatch.context() as patch:
        for module in modules:
            patch.setattr(module, "send_action", send_action)
            if hasattr(module, "accepted_action"):
                patch.setattr(module, "accepted_action", accepted_action)
        patch.setattr(starter.cli.common, "connect_or_explain", connect)
        yield sent


def command_names(typer_app: typer.Typer) -> set[str]:
    group = typer.main.get_command(typer_app)
    assert isinstance(group, typer.core.TyperGroup)
    return set(group.commands)


# -- the client's map -----------------------------------------------------------------------------------------


def test_every_update_has_an_action_model_in_the_client() -> None:
    assert {update_name(update) for update in UPDATE_FOR_ACTION.values()} == set(UPDATES)


@pytest.mark.parametrize("model", list(UPDATE_FOR_ACTION), ids=lambda model: model.__name__)
def test_every_action_model_goes_to_an_update_taking_that_model(model: type[BaseModel]) -> None:
    name = update_for(model)
    assert name in UPDATES, f"{model.__name__} maps to {name!r}, which ComplaintWorkflow does not have"
    assert parameter_types(name) == [model]
    assert UPDATES[name].ret_type is str  # what the client hands back: the workflow's confirmation


def test_one_model_per_update() -> None:
    names = [update_name(update) for update in UPDATE_FOR_ACTION.values()]
    assert len(names) == len(set(names))


def test_the_client_queries_are_the_workflows() -> None:
    assert {query_name(ComplaintWorkflow.status), query_name(ComplaintWorkflow.timeline)} <= set(DEFINITION.queries)


# -- the CLI ------------------------------------------------------------------------------------------------------


def test_every_action_command_is_exercised_here() -> None:
    assert command_names(admin) - command_names(looking) - {"doctor"} == set(CLI_ACTIONS)


@pytest.mark.parametrize(("command", "args"), list(CLI_ACTIONS.items()), ids=list(CLI_ACTIONS))
def test_each_admin_command_sends_one_action(command: str, args: list[str]) -> None:
    with capturing_actions(starter.cli.admin_actions) as sent:
        result = CliRunner().invoke(app, ["admin", command, "C-1", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "confirmed"
    assert len(sent) == 1 and type(sent[0]) in UPDATE_FOR_ACTION
    # The update id is derived from the request, so running the command again is the same update.
    assert sent.update_ids == [update_id_for(sent[0], "C-1")]
    with capturing_actions(starter.cli.admin_actions) as named:
        assert CliRunner().invoke(app, ["admin", command, "C-1", *args, "--request-id", "r-1"]).exit_code == 0
    assert named.update_ids == [update_id_for(sent[0], "C-1", request_id="r-1")]


def test_every_update_has_a_cli_command() -> None:
    reached: set[str] = set()
    for command, args in CLI_ACTIONS.items():
        with capturing_actions(starter.cli.admin_actions) as sent:
            assert CliRunner().invoke(app, ["admin", command, "C-1", *args]).exit_code == 0
        reached.add(update_for(type(sent[0])))
    assert reached == set(UPDATES) - set(NOT_ON_CLI)
    assert set(NOT_ON_CLI) <= set(UPDATES)


# -- the HTTP API -------------------------------------------------------------------------------------------------


@pytest.fixture
def http() -> Iterator[TestClient]:
    settings = Settings(api_keys={"crm": SecretStr("crm-key")})
    api = create_app(settings, client=SimpleNamespace(namespace="contracts"))  # type: ignore[arg-type]
    with TestClient(api, headers={"X-API-Key": "crm-key"}) as client:
        yield client


def action_routes() -> set[str]:
    """Every POST under /complaints/{complaint_id}/, as the OpenAPI document lists them."""
    api = create_app(Settings(api_keys={"crm": SecretStr("crm-key")}))
    paths: dict[str, dict[str, Any]] = api.openapi()["paths"]
    return {path for path, operations in paths.items() if "post" in operations and path.startswith("/complaints/{")}


def test_every_action_route_is_exercised_here() -> None:
    assert action_routes() == set(HTTP_ACTIONS)


def test_every_update_has_a_route_or_a_reason_not_to(http: TestClient) -> None:
    reached: set[str] = set()
    for path, body in HTTP_ACTIONS.items():
        with capturing_actions(starter.api.app) as sent:
            response = http.post(path.format(complaint_id="C-1"), json=body)
        assert response.status_code == 200, response.text
        assert response.json()["result"] == "confirmed"
        assert len(sent) == 1
        assert sent.update_ids == [update_id_for(sent[0], "C-1")]  # derived from the body, as the CLI's
        reached.add(update_for(type(sent[0])))
    assert reached == set(UPDATES) - set(NOT_ON_HTTP)
    assert set(NOT_ON_HTTP) <= set(UPDATES), "a reason given for an update the workflow does not have"


def test_the_calling_system_is_recorded_with_a_priority_raise(http: TestClient) -> None:
    with capturing_actions(starter.api.app) as sent:
        body = HTTP_ACTIONS["/complaints/{complaint_id}/priority"]
        assert http.post("/complaints/C-1/priority", json=body).status_code == 200
    (change,) = sent
    assert change.model_dump() == {"priority": "urgent", "by": "tl-jordan", "reason": "vulnerable (via crm)"}
