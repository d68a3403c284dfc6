"""What people/ tells the rest of the house, without knowing who listens.

`access_changed`: a person was deactivated or their organisation roles changed (on the admin site, or by the
staff import). Sent with `person`, `by` (who changed it: a person, or None for a command) and `door` ("admin"
or "import"). The spine listens (incidents/apps.py): a deactivated person's API tokens end, and every socket
of theirs re-checks what it may still see.
"""

from __future__ import annotations

from django.dispatch import Signal

access_changed = Signal()
