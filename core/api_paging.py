"""The API's lists, a page at a time (core/paging.py): `{"next": <url or null>, "results": [...]}`.

`?page_size=` (1–200, default 50) sets the length; follow `next` for the rest. A list view names its
order as `keyset`; one that pages itself (the history, merged from several tables) returns from
`get_queryset` a function of (cursor, size) giving a `Page`, and names its cursor's columns as
`cursor_kinds`. The schema states each list's cursor as a pattern, read from the model its serializer
shows (or `keyset_model`, when the serializer is not a model's).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from .errors import InvalidInput
from .paging import (
    BAD_CURSOR,
    CURSOR_PARAM,
    MAX_CURSOR,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    SIZE_PARAM,
    Page,
    cursor_pattern,
    page_size,
)


def page_from(request, source, view=None) -> Page:
    cursor = request.query_params.get(CURSOR_PARAM)
    if cursor == "":  # given but empty is no position, as `page_size` given empty is no length
        raise InvalidInput({CURSOR_PARAM: BAD_CURSOR})
    size = page_size(request.query_params.get(SIZE_PARAM))
    if isinstance(source, QuerySet):
        return view.keyset.page(source, cursor, size)
    return source(cursor, size)


def paged_body(request, page: Page, results: list) -> dict:
    following = None
    if page.next:
        following = replace_query_param(request.build_absolute_uri(), CURSOR_PARAM, page.next)
    return {"next": following, "results": results}


class KeysetPagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page = page_from(request, queryset, view)
        return self.page.items

    def get_paginated_response(self, data):
        return Response(paged_body(self.request, self.page, data))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "format": "uri", "nullable": True,
                         "description": "The next (older) page, or null when this is the last."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": CURSOR_PARAM, "in": "query", "required": False,
             "schema": {"type": "string", "pattern": cursor_pattern(cursor_kinds(view)), "maxLength": MAX_CURSOR},
             "description": "Where the page starts: take it from the previous page's `next`. Any value of this "
                            "shape is a position in the list; another is a 400."},
            {"name": SIZE_PARAM, "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
             "description": f"How many to return (each list has its own default, at most {PAGE_SIZE})."},
        ]


def cursor_kinds(view) -> list[str]:
    """How the columns of a list's cursor are written (core/paging.py), for the schema to state."""
    kinds = getattr(view, "cursor_kinds", None)
    if kinds:
        return list(kinds)
    serializer = view.get_serializer_class() if hasattr(view, "get_serializer_class") else None
    model = getattr(view, "keyset_model", None) or getattr(getattr(serializer, "Meta", None), "model", None)
    if model is None or getattr(view, "keyset", None) is None:
        raise ImproperlyConfigured(f"{type(view).__name__}: say which model its list pages (keyset_model).")
    return view.keyset.kinds(model)


def paged_response(request, view, source, serialize) -> Response:
    """For an APIView that is not a generic list: the page, serialised, with its `next` link."""
    page = page_from(request, source, view)
    return Response(paged_body(request, page, serialize(page.items)))
