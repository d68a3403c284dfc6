"""A migration operation Django lacks: many relations altered in Django's record of the models at once.

Moving the user model to an app of its own (people/) re-points some 150 foreign keys, in every app, at the
same table under a new name. Written as one `AlterField` each, every one re-renders each model related to
the one it alters: about 15 s of every `migrate`, every test database and every server the tests start.
`AlterRelationsInState` makes the same changes to the state and reloads what they touch once. It changes
nothing in the database (the columns, constraints and data stay as they are), in either direction.
"""

from __future__ import annotations

from django.db import models
from django.db.migrations.operations.base import Operation


class AlterRelationsInState(Operation):
    """`fields`: (model name, field name, field), as `AlterField` would take them, for this migration's app."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, fields: list[tuple[str, str, models.Field]]):
        self.fields = fields

    def deconstruct(self):
        return self.__class__.__qualname__, [self.fields], {}

    def state_forwards(self, app_label, state):
        touched = set()
        for model_name, name, field in self.fields:
            key = app_label, model_name.lower()
            fields = state.models[key].fields
            if state._relations is not None:
                old = fields.pop(name)
                if old.is_relation:
                    state.resolve_model_field_relations(key, name, old)
                fields[name] = field
                if field.is_relation:
                    state.resolve_model_field_relations(key, name, field)
            else:
                fields[name] = field
            touched.add(key)
        state.reload_models(sorted(touched), delay=False)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"Alter {len(self.fields)} relations in Django's state only"

    @property
    def migration_name_fragment(self):
        return "alter_relations_in_state"
