"""schemathesis fuzzes every operation of our OpenAPI schema (/api/schema/), as each role.

The app is called in-process through its WSGI handler (the same request path as gunicorn),
inside the test's database transaction, so each role's API token is real. For every
generated request: no 5xx, the response matches the schema (content type and body), and any
4xx carries a message. Bounded: FUZZ_EXAMPLES draws of every operation per role (positive
and negative data), so the run stays within a couple of minutes.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from access.services import api_token_issue

pytestmark = pytest.mark.django_db
ROLES = ("operator", "risk_officer", "compliance", "viewer", "ml_engineer", "admin", "anonymous")
FUZZ_EXAMPLES = 2
CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]


def _client_error_has_a_message(response) -> None:
    if not 400 <= response.status_code < 500:
        return
    body = response.content.decode(errors="replace").strip()
    assert body, f"{response.status_code} without a message"
    if response.headers.get("Content-Type", "").startswith("application/json"):
        assert json.loads(body), f"{response.status_code} with an empty JSON body"


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI handler closes "old" connections around each request, which would close the
    test's transaction on PostgreSQL; Django's own test client unhooks it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def _call_as_its_own_request(case, headers: dict):
    """Each call in a savepoint rolled back after it: in production a request runs in
    autocommit, so a statement PostgreSQL refuses (a 400) does not abort the next request's
    queries, as it would in the test's one shared transaction."""
    savepoint = transaction.savepoint()
    try:
        return case.call(headers=headers)
    finally:
        transaction.savepoint_rollback(savepoint)


@pytest.fixture
def fuzz_schema(role_user):
    admin_token = api_token_issue(user=role_user("admin", "schema-reader"), name="fuzz")[1]
    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json",
        get_wsgi_application(),
        headers={"Authorization": f"Bearer {admin_token}"},
    )


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_fails_or_breaks_its_schema_for_any_role(role, role_user, fuzz_schema):
    headers = {}
    if role != "anonymous":
        secret = api_token_issue(user=role_user(role), name="fuzz", scope="read_write")[1]
        headers = {"Authorization": f"Bearer {secret}"}
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) >= 35  # the whole API, not an empty schema
    modes = st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE])

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        for operation in operations:
            case = data.draw(operation.as_strategy(generation_mode=data.draw(modes)))
            response = _call_as_its_own_request(case, headers)
            case.validate_response(response, checks=CHECKS, headers=headers)
            _client_error_has_a_message(response)

    fuzz()
