"""The API says what it does: Schemathesis generates requests for every operation in the schema, valid
and invalid, as an incident's lead and as an outsider, and checks every answer: never a server error,
always a documented status, and a body the schema describes.

Examples per operation are kept small so the whole suite stays quick (HARBOUR_FUZZ_EXAMPLES raises it);
the same test with more examples is how the probe of the running system was run.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from comms import services as comms_services
from tests.factories import Cast, make_token, open_incident

EXAMPLES = int(os.environ.get("HARBOUR_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]


def _schema():
    """The schema the API serves, read from drf-spectacular directly (no request, so no sign-in)."""
    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = get_wsgi_application()
    return loaded


schema = _schema()


def _tokens() -> dict[str, str]:
    """A lead with something of everything in her incident, and an outsider who sees none of it."""
    cast = Cast()
    incident = open_incident(cast)
    message = comms_services.message_draft(actor=cast.alice, incident_id=incident.pk, audience="people",
                                           recipients=["bob"], subject="Briefing", body="What we know.")
    comms_services.message_submit(actor=cast.alice, message_id=message.pk)
    return {"lead": make_token(cast.alice), "outsider": make_token(cast.charlie)}


@pytest.fixture
def tokens(db):
    return _tokens()


@pytest.fixture(autouse=True)
def _keep_the_test_database_connection():
    """Schemathesis calls the plain WSGI application, which closes the database connection after each
    request; inside the test's transaction (PostgreSQL) that would end it. Django's own test client
    stops this in the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@schema.parametrize()
@FUZZ
def test_as_a_lead_every_answer_is_documented_and_none_is_a_server_error(case, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens['lead']}"}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_as_an_outsider_every_answer_is_documented_and_none_is_a_server_error(case, tokens):
    case.call_and_validate(headers={"Authorization": f"Token {tokens['outsider']}"}, checks=CHECKS)
