"""The one way a page runs a service and turns what it says into an answer (as the API's exception handler,
core/api_errors.py, is the one way the API does).

After a post, a page either moves on (a redirect, with a line saying what was done) or is drawn again with
what was wrong, next to the fields it was about, as a 400. A service says what was wrong in two ways
(core/errors.py): `InvalidInput`, values it will not take (they go onto the form, field by field), and
`Conflict`, a change that cannot be made as things stand (said at the top of the page it goes back to,
or onto one of the form's fields). Anything else is not the person's doing and is not caught here.

    form = FamilyInformedForm(request.POST)
    done = pages.submit(request, form, partial(services.family_informed_record, actor=request.user,
                                               incident_id=incident_id),
                        said="Recorded that the family has been informed.", done=home)
    if done:
        return done
    return render(..., status=400)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from core.errors import Conflict, InvalidInput

Then = str | Callable[[Any], str]


def _said(then: Then, result: Any) -> str:
    return then(result) if callable(then) else then


def submit(request: HttpRequest, form, service: Callable[..., Any], *, said: Then = "", done: Then,
           conflict: str | None = None, values: Callable[[Any], dict] | None = None) -> HttpResponse | None:
    """Run `service` with the form's values (`values(form)`, else the form's `service_values()` if it has
    one, else its cleaned data). Done: `said` is told and the answer is a redirect to `done` (each a
    string or a function of what the service returned). Not done: None, the form holding what was wrong
    (a conflict too, when `conflict` names the field it is about), for the page to be drawn again; a
    conflict with no field goes back to `done` (a string) with the service's words. (`conflict` may be
    NON_FIELD_ERRORS: said above the form's fields.)"""
    if not form.is_valid():
        return None
    given = values(form) if values else (form.service_values() if hasattr(form, "service_values")
                                         else form.cleaned_data)
    try:
        result = service(**given)
    except InvalidInput as error:
        form.apply_service_errors(error)
        return None
    except Conflict as refusal:
        if conflict is not None:
            form.add_error(conflict, refusal.detail)
            return None
        if callable(done):  # nowhere to go back to but the page itself
            raise
        flash.error(request, refusal.detail)
        return redirect(done)
    if said:
        flash.success(request, _said(said, result))
    return redirect(_said(done, result))


def act(request: HttpRequest, service: Callable[[], Any], *, said: Then = "", done: Then,
        refused: str | None = None) -> HttpResponse:
    """A button with nothing to fill in (mark seen, decline, cancel): run `service`, say `said`, go to
    `done`. A conflict is said on the page `done` leads to (or `refused`); values it will not take (a
    hidden field tampered with) answer 400 with what was wrong (core/middleware.py BadInputPage)."""
    try:
        result = service()
    except Conflict as refusal:
        flash.error(request, refusal.detail)
        return redirect(refused or _said(done, None))
    if said:
        flash.success(request, _said(said, result))
    return redirect(_said(done, result))


def status_of(*forms) -> int:
    """A page drawn again with a form's errors answers 400."""
    return 400 if any(form is not None and form.is_bound and form.errors for form in forms) else 200
