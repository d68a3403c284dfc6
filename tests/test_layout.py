"""The layout a newcomer copies: the ground floor (core/) imports no app, the spine imports no wing, a wing
imports only the spine and the ground floor, templates and live.js spell no status or event type
themselves, and what a template offers names actions that exist in the policy."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from clocks.policy import Action as ClocksAction
from clocks.policy import ObligationAction
from comms.policy import Action as CommsAction
from config.routing import websocket_urlpatterns
from core.actors import membership
from core.live import LiveSocket, NoSuchSocket
from incidents.models import Membership
from incidents.policy import Action as IncidentAction
from support.policy import Action as SupportAction

pytestmark = pytest.mark.anywhere

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


HARBOUR_APPS = {"config", "incidents", "clocks", "comms", "support", "people", "demo"}
WINGS = ("clocks", "comms", "support")


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_ground_floor_imports_no_app(path):
    """core/ is what every app stands on: an import of an app, at any depth (one inside a function is the
    same dependency, only later), would pull the floor up into the house."""
    apps = {name for name in _imports(path) if name.split(".")[0] in HARBOUR_APPS}
    assert not apps, f"{path.relative_to(ROOT)} imports {apps}"


@pytest.mark.parametrize("path", sorted((ROOT / "people").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_people_stand_on_the_ground_floor_only(path):
    """people/ (staff, teams, roles, sign-in) is the floor above core/: the spine and every wing name people,
    and people name none of them. What the spine does when a person's access changes, it does on a signal."""
    apps = {name for name in _imports(path) if name.split(".")[0] in HARBOUR_APPS - {"people"}}
    assert not apps, f"{path.relative_to(ROOT)} imports {apps}"


@pytest.mark.parametrize("path", sorted((ROOT / "incidents").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_spine_imports_no_wing(path):
    wings = {name for name in _imports(path) if name.split(".")[0] in WINGS}
    assert not wings, f"{path.relative_to(ROOT)} imports {wings}"


@pytest.mark.parametrize("path", sorted(p for wing in WINGS for p in (ROOT / wing).rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_a_wing_stands_on_the_spine_and_the_ground_floor_only(path):
    """A wing stands on incidents/, people/ and core/ (and Python's and Django's own): never on another wing, nor on
    the roof (config/) that stands on it. What one wing needs of another (the first media enquiry starts the
    holding statement's clock; "I'd like to talk to someone" on a briefing asks staff support) goes through
    the spine, which tells whichever wings declared the moment (core/wings.py)."""
    wing = path.relative_to(ROOT).parts[0]
    others = {name for name in _imports(path) if name.split(".")[0] in HARBOUR_APPS - {"incidents", "people", wing}}
    assert not others, f"{path.relative_to(ROOT)} imports {others}"


def test_the_policy_engine_and_the_sockets_base_are_on_the_ground_floor():
    """Every app's policy is written in core/grants.py's words and bound by core/policy.py; every socket
    stands on core/live.py. The spine keeps only its own policy, and declares what a membership of an
    incident is (incidents/models.py), which the engine reads rather than importing it."""
    assert all((ROOT / "core" / name).exists() for name in ("grants.py", "policy.py", "actors.py", "live.py"))
    assert not any((ROOT / "incidents" / name).exists() for name in ("grants.py", "rules.py"))
    assert membership().model is Membership
    for route in websocket_urlpatterns:
        consumer = route.callback.consumer_class
        assert issubclass(consumer, LiveSocket) or consumer is NoSuchSocket, consumer


def test_the_spines_pages_and_scripts_name_no_clock():
    """The workspace draws the Clocks tab, its panels and its script from the wing's declaration."""
    spine = [*sorted((ROOT / "templates" / "incidents").rglob("*.html")),
             *(ROOT / "static" / "harbour" / name for name in ("live.js", "tabs.js", "init.js"))]
    named = [str(p.relative_to(ROOT)) for p in spine if re.search(r"clock|obligation|ladder|playbook", p.read_text(), re.I)]
    assert not named


def test_every_wing_has_the_same_rooms():
    rooms = {"models", "policy", "services", "selectors", "views", "api", "consumers", "tasks", "admin"}
    for wing in ("incidents", *WINGS):
        missing = {room for room in rooms if not (ROOT / wing / f"{room}.py").exists()}
        assert not missing, (wing, missing)


def test_templates_spell_no_status_themselves():
    # Any model field compared with a spelled-out value: status, state, scope, kind, audience, role.
    bare = re.compile(r"""\.(status|state|scope|kind|audience|role)\s*[!=]=\s*["']""")
    found = [f"{t.relative_to(ROOT)}: {m.group(0)}" for t in TEMPLATES for m in bare.finditer(t.read_text())]
    assert not found


def test_what_templates_offer_names_real_actions():
    offered = re.compile(r"\b(allowed|incident_allowed|actions)\.([a-z_]+)")
    real = {a.value for enum in (ClocksAction, ObligationAction, CommsAction, IncidentAction, SupportAction) for a in enum}
    unknown = [f"{t.relative_to(ROOT)}: {m.group(0)}" for t in TEMPLATES for m in offered.finditer(t.read_text())
               if m.group(2) not in real]
    assert not unknown


def test_live_js_names_no_event_type():
    """Timeline event types, that is: `message.updated` is the sockets' own message, not an event type."""
    script = (ROOT / "static" / "harbour" / "live.js").read_text()
    assert not re.search(r"""["'](?!message\.updated)(incident|member|decision|obligation|notification|message|family|media|identifier)\.""",
                         script)


def test_the_incidents_sections_are_declared_by_the_wings_and_named_by_none_in_the_spine():
    nav = (ROOT / "templates" / "incidents" / "_incident_nav.html").read_text()
    assert not re.search(r"comms|support|identifiers|media", nav), "the spine's tabs name a wing"
    from core.wings import incident_tabs

    keys = [tab["key"] for tab in incident_tabs(1, "media", {"incident_allowed": {"protect_identifiers": True}})]
    assert keys == ["workspace", "messages", "media", "identifiers", "support", "summary"]
    shown = incident_tabs(1, "media", {})
    assert [tab["key"] for tab in shown if tab["current"]] == ["media"]
    assert "identifiers" not in [tab["key"] for tab in shown]  # offered only to whoever may protect them


@pytest.mark.parametrize("path", sorted(p for app in ("core", "people", "incidents", "clocks", "comms", "support", "config", "demo")
                                        for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_is_imported_from_another_module(path):
    """A name with a leading underscore is its module's own: another module that needs it needs a public one."""
    private = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            private += [f"{node.module}.{alias.name}" for alias in node.names
                        if alias.name.startswith("_") and alias.name != "__future__" and node.module != "__future__"]
    assert not private, f"{path.relative_to(ROOT)} imports {private}"


@pytest.mark.parametrize("wing", ["incidents", *WINGS])
def test_tasks_call_services_and_services_never_import_tasks(wing):
    """A task is one call of a service; a service queues a task by the name its wing declares
    (core/worker.py), so the two never import each other in a circle. A wing's services may fill more than
    services.py (comms/releases.py, comms/media.py…): no module of the wing imports its tasks but apps.py,
    which declares them."""
    for path in sorted((ROOT / wing).glob("*.py")):
        if path.name in ("tasks.py", "apps.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module or ''}.{alias.name}" for alias in node.names]
                assert not any(name.endswith("tasks") for name in names), f"{wing}/{path.name} imports its tasks"
    tasks = ast.parse((ROOT / wing / "tasks.py").read_text())
    for node in tasks.body:
        if isinstance(node, ast.FunctionDef):
            body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            assert len(body) == 1 and isinstance(body[0], ast.Return), f"{wing}.tasks.{node.name} is not one call"


@pytest.mark.parametrize("path", sorted(p for app in ("core", "people", "incidents", "clocks", "comms", "support", "config", "demo")
                                        for p in (ROOT / app).rglob("*.py")
                                        if "migrations" not in p.parts and p.name != "apps.py"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_puts_off_importing_another_of_harbours(path):
    """An import inside a function hides a circle instead of ending it. AppConfig.ready is where Django
    says an app may import the rest of itself, so apps.py is the exception."""
    late = []
    for function in ast.walk(ast.parse(path.read_text())):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").split(".")[0]
                                                         in HARBOUR_APPS | {"core"}):
                    late.append(f"{function.name}: {'.' * node.level}{node.module or ''}")
    assert not late, f"{path.relative_to(ROOT)} imports late: {late}"


def test_a_wing_declares_its_workspace_tab_and_its_incident_moments_and_mistakes_are_refused():
    """The spine draws the workspace's Clocks tab and tells the clocks of an incident's moments only because
    the wing declared them (clocks/apps.py); a declaration that could not work fails at start."""
    from django.core.exceptions import ImproperlyConfigured

    from clocks import services as clock_services
    from core import wings

    assert [(t.key, sorted(t.panels)) for t in wings.workspace_tabs()] == [("clocks", ["clocks", "ladder"])]
    assert wings.workspace_panel("ladder").key == "clocks" and wings.workspace_panel("members") is None
    assert clock_services.incident_opened in wings._ON_INCIDENT["opened"]
    with pytest.raises(ImproperlyConfigured):
        wings.on_incident("closed", print)  # no such moment
    with pytest.raises(ImproperlyConfigured):
        wings.workspace_tab("clocks", "Deadlines", "clocks/_workspace.html", panels={}, context=dict, order=1)
    with pytest.raises(ImproperlyConfigured):
        wings.workspace_tab("other", "Other", "x.html", panels={"ladder": "x.html"}, context=dict, order=99)
    with pytest.raises(TypeError):
        wings.incident_moment("opened", incident=None)  # the actor is missing


@pytest.mark.parametrize("path", sorted(p for app in HARBOUR_APPS - {"demo"} | {"core"} for p in (ROOT / app).rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_imports_the_demo(path):
    """The demo data stands on every wing; nothing stands on it."""
    demo = {name for name in _imports(path) if name.split(".")[0] == "demo"}
    assert not demo, f"{path.relative_to(ROOT)} imports {demo}"


MOST_LINES = 600


@pytest.mark.parametrize("path", sorted(p for app in ("core", "people", "incidents", "clocks", "comms", "support", "config", "demo")
                                        for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_too_long_to_read(path):
    """A module a newcomer opens fits in one sitting: past 600 lines it holds more than one concern, and
    is split by concern into modules of the same app (imported directly, never re-exported)."""
    lines = len(path.read_text().splitlines())
    assert lines <= MOST_LINES, f"{path.relative_to(ROOT)} is {lines} lines: split it by concern"
