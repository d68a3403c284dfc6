"""The API says what it does: Schemathesis generates requests for every operation in the schema, valid
and invalid, as an incident's lead and as an outsider, and checks every answer: never a server error,
always a documented status, a body the schema describes, whatever the schema calls invalid refused, and
whatever it calls valid not refused for its shape (ST202, "schema-valid request rejected").

That last is Schemathesis's `positive_data_acceptance` with one difference, stated here: a request of the
right shape may still be refused by a service for what the records say (no member of staff has that
username, the time is in the future, this incident's ladder has no such step). Those refusals are raised as
`InvalidInput` by the services and are the API's to make; a 400 from anything else (a serializer, a
parameter's parsing, the null-byte guard) means the schema failed to state a rule, and fails the test.

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
from rest_framework.views import APIView
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from comms import services as comms_services
from core.errors import InvalidInput
from tests.factories import Cast, make_token, open_incident

EXAMPLES = int(os.environ.get("HARBOUR_FUZZ_EXAMPLES", "12"))

# What raised the API's last refusal (the guard in the test below records it): a service's InvalidInput,
# or something that should have been stated in the schema.
REFUSED_BY: list[type[BaseException]] = []
ACCEPTABLE = {401, 403, 404, 409, 429}


@schemathesis.check
def valid_data_is_refused_only_by_the_records(ctx, response, case):
    """positive_data_acceptance, but for a service's refusal of well-shaped data (see the module's note)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not 400 <= response.status_code < 500:
        return None
    if response.status_code in ACCEPTABLE:
        return None
    if response.status_code == 400 and REFUSED_BY and issubclass(REFUSED_BY[-1], InvalidInput):
        return None
    raise AssertionError(f"Schema-valid data refused ({response.status_code}) by "
                         f"{REFUSED_BY[-1].__name__ if REFUSED_BY else 'a guard before the API'}: "
                         f"the schema does not state this rule.")


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, valid_data_is_refused_only_by_the_records]


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


@pytest.fixture(autouse=True)
def _note_what_refused(monkeypatch):
    original = APIView.handle_exception

    def handle_exception(self, exc):
        REFUSED_BY.append(type(exc))
        return original(self, exc)

    monkeypatch.setattr(APIView, "handle_exception", handle_exception)


def _call_and_validate(case, token: str) -> None:
    headers = {"Authorization": f"Token {token}"}
    REFUSED_BY.clear()
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)


FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much])


@schema.parametrize()
@FUZZ
def test_as_a_lead_every_answer_is_documented_and_none_is_a_server_error(case, tokens):
    _call_and_validate(case, tokens["lead"])


@schema.parametrize()
@FUZZ
def test_as_an_outsider_every_answer_is_documented_and_none_is_a_server_error(case, tokens):
    _call_and_validate(case, tokens["outsider"])
