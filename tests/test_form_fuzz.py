"""Every HTML form Harbour serves, fuzzed (issue 18, point 6): a null byte, or a value of 100,000
characters, in any field is a form error (or a plain refusal), never a server error, and changes nothing.

The forms are not listed here: the test walks the URL configuration, opens every page as each of the cast
who may use its forms (and signed out, for the sign-in form), reads the forms from the HTML as a browser
would, and posts each one back with one field at a time replaced. Another page or form is fuzzed by being
written. A last check makes sure every form class in the forms modules was met on some page.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import traceback
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django import forms as django_forms
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from comms import forms as comms_forms
from comms import media as comms_media
from comms import protect as comms_protect
from comms import releases as comms_releases
from comms import services as comms
from incidents import forms as incident_forms
from incidents import services
from people.models import Team
from support import debriefing as support_debriefing
from support import forms as support_forms
from support import services as support
from support.models import Debrief
from tests.factories import ask_for_support, make_user

pytestmark = pytest.mark.django_db

NUL = "Before\x00after"
LONG = "x" * 100_000
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")
# Pages that are no page a person fills in, or whose forms are the admin site's own.
SKIPPED_PREFIXES = ("admin/", "api/", "static/", "ws/")
SKIPPED_ACTIONS = ("/logout/",)  # signing out has nothing to type, and would end the crawl's session
# Written by reading a page or signing in, not by a form's change: sessions, django-axes' log.
UNWATCHED_APPS = {"sessions", "axes", "admin"}


@dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, kind)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    hx_post: str | None = None  # a live check as the person types (the editor's identifier check): a read


class FormReader(HTMLParser):
    """The forms of a page as a browser would submit them: each field's name, its current value, its kind."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.current: Form | None = None
        self.textarea: list | None = None
        self.select: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.current = Form(method=(a.get("method") or "get").lower(), action=a.get("action") or "",
                                hx_post=a.get("hx-post"))
            self.forms.append(self.current)
        if self.current is None:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image"):
                self.current.buttons.append((a["name"], a.get("value") or ""))
            elif kind in ("checkbox", "radio"):
                self.current.fields.append((a["name"], a.get("value") or "on", kind + ("+" if "checked" in a else "")))
            elif kind not in ("file", "reset"):
                self.current.fields.append((a["name"], a.get("value") or "", kind))
        elif tag == "button" and a.get("name") and (a.get("type") or "submit") == "submit":
            self.current.buttons.append((a["name"], a.get("value") or ""))
        elif tag == "textarea" and a.get("name"):
            self.textarea = [a["name"], ""]
        elif tag == "select" and a.get("name"):
            self.select = {"name": a["name"], "options": [], "selected": None}
        elif tag == "option" and self.select is not None:
            value = a.get("value")
            self.select["options"].append(value if value is not None else "")
            if "selected" in a:
                self.select["selected"] = self.select["options"][-1]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea" and self.textarea is not None and self.current is not None:
            self.current.fields.append((self.textarea[0], self.textarea[1].removeprefix("\n"), "textarea"))
            self.textarea = None
        elif tag == "select" and self.select is not None and self.current is not None:
            options = self.select["options"]
            chosen = self.select["selected"] if self.select["selected"] is not None else (options[0] if options else "")
            self.current.fields.append((self.select["name"], chosen, "select"))
            self.select = None


def baseline(form: Form) -> dict[str, list[str]]:
    """What the form sends as it stands: text as shown, ticked boxes and the chosen option."""
    data: dict[str, list[str]] = {}
    for name, value, kind in form.fields:
        if kind not in ("checkbox", "radio"):  # those not ticked send nothing
            data.setdefault(name, []).append(value)
    return data


def fuzzable(form: Form) -> list[str]:
    """Every field a person (or a browser) sends, but the CSRF token; a lone tick box says only yes or no,
    whatever its value, so it is no place for text."""
    names = [name for name, _, _ in form.fields if name != "csrfmiddlewaretoken"]
    boxes = [name for name, _, kind in form.fields if kind.startswith("checkbox")]
    return [name for name in dict.fromkeys(names) if not (name in boxes and boxes.count(name) == 1)]


def routes(patterns=None, prefix: str = ""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def fingerprint() -> dict[str, int]:
    """How many rows each table holds: nothing a refused form sends may change it. One query for all the
    tables (some 400 posts each read every table twice: a query per table cost a minute on PostgreSQL)."""
    tables = [model._meta.db_table for model in apps.get_models()
              if model._meta.app_label not in UNWATCHED_APPS and model._meta.managed]
    quote = connection.ops.quote_name
    query = " UNION ALL ".join(f"SELECT '{table}', COUNT(*) FROM {quote(table)}" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query)
        return dict(cursor.fetchall())


@pytest.fixture
def world(cast, incident):
    """Something of everything a form acts on, with someone who may act on each."""
    wendy = make_user("wendy", "Wendy Wellbeing", "wellbeing_lead")
    Team.objects.create(name="North")  # so the editor offers teams
    services.decision_record(actor=cast.alice, incident_id=incident.pk, decision="Open a rest centre",
                             rationale="Families need somewhere to go.")

    def message(subject, stage, **extra):
        made = comms.message_draft(actor=cast.alice, incident_id=incident.pk, subject=subject, body="Plain facts.",
                                   **({"audience": "people", "recipients": ["bob"]} | extra))
        if stage in ("review", "approved", "released"):
            comms.message_submit(actor=cast.alice, message_id=made.pk)
        if stage in ("approved", "released"):
            comms.message_approve(actor=cast.cora, message_id=made.pk, version=1)
        if stage == "released":
            comms_releases.message_release(actor=cast.cora, message_id=made.pk)
        return made.pk

    messages = [message("A draft", "draft"), message("In review", "review"), message("Approved", "approved"),
                message("Released", "released")]
    # A press statement before the family's being told is recorded: the lead may release it anyway, with a reason.
    statement = message("Statement", "approved", audience="press_statement", recipients=[])
    comms.message_approve(actor=cast.tom, message_id=statement, version=1)
    messages.append(statement)
    comms_protect.identifier_add(actor=cast.cora, incident_id=incident.pk, value="Hollins", kind="name")
    enquiry = comms_media.media_enquiry_log(actor=cast.cora, incident_id=incident.pk, outlet="The Gazette",
                                      journalist="J Reporter", contact="j@example.org",
                                      received_at=timezone.now(), question="What happened?")
    entry = support.register_add(actor=cast.alice, incident_id=incident.pk, user="bob", exposure="witnessed",
                                 reason="Was there", supporter="wendy")
    debrief = support_debriefing.debrief_schedule(actor=cast.alice, incident_id=incident.pk, kind="cold",
                                       starts_at=timezone.now() + dt.timedelta(days=2), duration_minutes=60,
                                       location="Room 4", facilitator="tom", invitees=["bob", "cora"])
    started = support_debriefing.debrief_schedule(actor=cast.alice, incident_id=incident.pk, kind="hot",
                                       starts_at=timezone.now() + dt.timedelta(hours=1), duration_minutes=60,
                                       location="Room 5", facilitator="tom", invitees=["bob"])
    Debrief.objects.filter(pk=started.pk).update(starts_at=timezone.now() - dt.timedelta(minutes=10))  # it has begun
    ask_for_support(cast, incident)
    values = {
        "incident_id": [incident.pk], "message_id": messages, "enquiry_id": [enquiry.pk], "entry_id": [entry.pk],
        "follow_up_id": [entry.created_follow_ups[0].pk], "debrief_id": [debrief.pk, started.pk], "username": ["bob"],
        "obligation_id": list(incident.obligations.values_list("pk", flat=True)[:1]),
    }
    return {"people": [None, cast.alice, cast.cora, cast.tom, cast.bob, wendy], "values": values}


@dataclass
class Outcome:
    where: str
    field: str
    value: str
    status: int
    problem: str


def test_every_form_refuses_a_null_byte_or_a_huge_value_plainly_and_changes_nothing(world):
    values = world["values"]
    pages = set()
    for route in routes():
        if route.startswith(SKIPPED_PREFIXES) or route.endswith((".csv", ".ics")):
            continue
        names = [m.group(2) for m in PARAM.finditer(route)]
        if any(name not in values for name in names):
            continue  # a panel or an action: their forms are on the pages that hold them
        for combo in itertools.product(*(values[name] for name in names)):
            chosen = dict(zip(names, combo, strict=True))
            pages.add("/" + PARAM.sub(lambda m, c=chosen: str(c[m.group(2)]), route))

    # Every form, once for each place it posts to and fields it has (whoever saw it first uses it).
    found: dict[tuple, tuple] = {}
    for person in world["people"]:
        client = Client()
        if person is not None:
            client.force_login(person)
        for page in sorted(pages):
            response = client.get(page)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            reader = FormReader()
            reader.feed(response.content.decode())
            for form in reader.forms:
                targets = [form.action or page] + ([form.hx_post] if form.hx_post else [])
                for target in targets:
                    target = html.unescape(target).split("#")[0]
                    if target.startswith(SKIPPED_ACTIONS) or not target.startswith("/"):
                        continue
                    try:
                        name = resolve(target.split("?")[0]).url_name
                    except Resolver404:
                        name = target
                    method = "check" if target == form.hx_post else form.method
                    variants = form.buttons or [(None, None)]
                    for button in variants:
                        key = (name, method, tuple(sorted({f[0] for f in form.fields})), button[0],
                               button[1] if button[0] == "action" else None)
                        found.setdefault(key, (person, target, form, button))

    failures: list[Outcome] = []
    posts = 0
    for (_name, method, _fields, _button, _action), (person, target, form, button) in sorted(
            found.items(), key=lambda item: repr(item[0])):
        client = Client()
        if person is not None:
            client.force_login(person)  # writes last_login: read the tables after it
        after = fingerprint()
        for name in fuzzable(form):
            for value in (NUL, LONG):
                data = baseline(form)
                data[name] = [value, *data.get(name, [])[1:]]
                if button[0]:
                    data.setdefault(button[0], [button[1]])
                before = after  # what the last post left, read once
                where = f"{method.upper()} {target} as {getattr(person, 'username', 'anonymous')}"
                label = "a null byte" if value is NUL else "100,000 characters"
                try:
                    response = getattr(client, "post" if method == "check" else method)(target, data)
                except Exception:  # noqa: BLE001 - a server error, reported with the rest
                    ours = [f"{frame.filename}:{frame.lineno} {frame.name}" for frame in
                            traceback.extract_tb(__import__("sys").exc_info()[2]) if "/.venv/" not in frame.filename]
                    failures.append(Outcome(where, name, label, 500, f"{traceback.format_exc(limit=-1)} in {ours}"))
                    after = fingerprint()
                    continue
                finally:
                    posts += 1
                after = fingerprint()
                body = response.content.decode(errors="replace")
                if after != before:
                    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
                    failures.append(Outcome(where, name, label, response.status_code, f"written: {changed}"))
                elif response.status_code >= 500:
                    failures.append(Outcome(where, name, label, response.status_code, body[:300]))
                elif response.status_code in (200, 400) and method == "post" and not (
                        "govuk-error-summary" in body or "This address cannot be shown" in body):
                    failures.append(Outcome(where, name, label, response.status_code, "no error shown"))
    assert not failures, "\n".join(f"{f.where}: {f.field} = {f.value} → {f.status}: {f.problem}" for f in failures)
    assert len(found) >= 30 and posts >= 200, (len(found), posts)

    # Every form class Harbour has was among them: a form no page shows is no form, and one a page shows
    # but the crawl missed would go unfuzzed.
    sent = [{name for name, _, _ in form.fields} | {b[0] for b in form.buttons} for _, _, form, _ in found.values()]
    missed = []
    for module in (incident_forms, comms_forms, support_forms):
        for name, cls in vars(module).items():
            if not (isinstance(cls, type) and issubclass(cls, django_forms.Form) and cls.__module__ == module.__name__
                    and cls is not incident_forms.HarbourForm):
                continue
            fields = set(cls.base_fields)
            if not any(fields <= names for names in sent):
                missed.append(f"{module.__name__}.{name} {sorted(fields)}")
    assert not missed, missed
