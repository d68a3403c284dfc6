"""What the OpenAPI schema says about errors: every operation documents the answers it can give.

One postprocessing hook, so a new endpoint is documented by being written: 400 with a message for each
field; 401 without a token; 403 when the person may see the object but not do this; 404 for anything that
names an object (the same answer whether it is absent or hidden); 409 when a change is refused by the
current state (a gate says which, with `gate`).
"""

from __future__ import annotations

from .api_fields import ecma
from .text import ONE_LINE

PROBLEM = {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
FIELD_ERRORS = {
    "type": "object",
    "description": "A list of messages for each field that was wrong; `non_field_errors` for the request "
                   "as a whole; `detail` when the body could not be read at all.",
    "additionalProperties": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"},
                                       {"type": "object"}]},
}
CONFLICT = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "Why, in a plain sentence."},
        "code": {"type": "string", "description": "Machine-readable: not_draft, stale_version, last_lead…"},
        "gate": {"type": "string", "description": "The release gate that refused, when one did."},
        "current_version": {"type": "integer"},
    },
    "required": ["detail"],
}
WRITES = {"post", "put", "patch", "delete"}


def _json(ref: str, description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _state_path_text(operation: dict) -> None:
    """A name in the path (a member's username) is one line of text, as any name Harbour holds: a null
    byte there is refused before anything reads it (core.middleware.RefuseNullBytes)."""

    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter.get("in") == "path" and schema.get("type") == "string" and "pattern" not in schema:
            schema["pattern"] = ecma(ONE_LINE.pattern(required=True))


def _state_body_needed(operation: dict, schemas: dict) -> None:
    """A body that must hold something (a field it requires, at least one field, one of its shapes) must be
    sent: without one, the request is refused as an empty body would be."""
    body = operation.get("requestBody")
    if not body:
        return
    for content in body.get("content", {}).values():
        ref = content.get("schema", {}).get("$ref", "")
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
        if schema.get("required") or schema.get("minProperties") or schema.get("oneOf"):
            body["required"] = True


def document_errors(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update({"Problem": PROBLEM, "FieldErrors": FIELD_ERRORS, "Conflict": CONFLICT})
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in WRITES | {"get"}:
                continue
            _state_path_text(operation)
            _state_body_needed(operation, schemas)
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", _json("FieldErrors", "Bad input: nothing was changed."))
            if operation.get("security") != [{}] and "auth/token" not in path:
                responses.setdefault("401", _json("Problem", "Not signed in: send `Authorization: Token <token>`."))
            responses.setdefault("403", _json(
                "Problem", "Not yours to do: you may see this, but not do that (or, at sign-in, signing in is "
                           "paused after repeated failures)."))
            if "auth/token" in path:
                responses.setdefault("429", _json("Problem", "Signing in is paused after repeated failures."))
            paged = any(p.get("name") == "page" for p in operation.get("parameters", []))
            # A list filtered to one incident finds that incident first (`?incident=` on follow-ups).
            names_one = any(p.get("name") == "incident" and p.get("in") == "query" for p in operation.get("parameters", []))
            if "{" in path or paged or names_one:
                responses.setdefault("404", _json(
                    "Problem", "Not found: it does not exist, or you may not see it (the answers are the same); "
                               "or, for a list, there is no such page."))
            if method in WRITES:
                responses.setdefault("409", _json("Conflict", "Refused by the current state, in plain words."))
    return result
