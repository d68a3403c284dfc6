"""`manage.py import_staff`: whole files or nothing, every problem listed by line."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from people.models import Team, User

pytestmark = pytest.mark.django_db

HEADER = "username,email,full_name,team,job_title,line_manager,roles\n"
GOOD = HEADER + (
    "dana,dana@example.org,Dana Hughes,Directorate,Director,,senior_leader\n"
    "jo,jo@example.org,Jo Morgan,North,Team Manager,dana,manager;wellbeing_lead\n"
    "bilal,bilal@example.org,Bilal Patel,North,Social Worker,jo,\n"
)


def run(tmp_path, text: str, name="staff.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return call_command("import_staff", str(path))


def test_imports_people_teams_managers_and_roles(tmp_path, capsys):
    run(tmp_path, GOOD)
    jo = User.objects.get(username="jo")
    assert (jo.full_name, jo.team.name, jo.job_title, jo.line_manager.username) == (
        "Jo Morgan", "North", "Team Manager", "dana")
    assert set(jo.groups.values_list("name", flat=True)) == {"manager", "wellbeing_lead"}
    assert User.objects.get(username="bilal").groups.count() == 0
    assert set(Team.objects.values_list("name", flat=True)) == {"Directorate", "North"}
    assert not jo.has_usable_password()
    assert "3 added" in capsys.readouterr().out


def test_reimport_updates_people(tmp_path):
    run(tmp_path, GOOD)
    run(tmp_path, HEADER + "bilal,b.patel@example.org,Bilal Patel,South,Senior Social Worker,dana,manager\n")
    bilal = User.objects.get(username="bilal")
    assert (bilal.email, bilal.team.name, bilal.line_manager.username) == ("b.patel@example.org", "South", "dana")
    assert list(bilal.groups.values_list("name", flat=True)) == ["manager"]
    assert User.objects.count() == 3


def test_a_bad_file_imports_nothing_and_lists_every_problem(tmp_path):
    bad = HEADER + (
        "dana,dana@example.org,Dana Hughes,Directorate,Director,,senior_leader\n"
        "jo,not-an-email,Jo Morgan,North,Team Manager,ghost,captain\n"
        "dana,dana2@example.org,Dana Again,North,Worker,,\n"
        ",x@example.org,,North,Worker,,\n"
    )
    with pytest.raises(CommandError) as error:
        run(tmp_path, bad)
    message = str(error.value)
    assert "Nothing was imported" in message
    assert "Line 3: “not-an-email” is not a valid email address." in message
    assert "Line 3: line manager “ghost”" in message
    assert "Line 3: unknown role “captain”" in message
    assert "Line 4: username “dana” is already used on line 2." in message
    assert "Line 5: username is empty." in message
    assert "Line 5: full_name is empty." in message
    assert User.objects.count() == 0 and Team.objects.count() == 0


def test_missing_columns(tmp_path):
    with pytest.raises(CommandError) as error:
        run(tmp_path, "username,email,full_name\ndana,dana@example.org,Dana\n")
    assert "missing column(s): team, job_title, line_manager, roles" in str(error.value)


def test_too_many_values(tmp_path):
    with pytest.raises(CommandError) as error:
        run(tmp_path, HEADER + "dana,dana@example.org,Dana,D,Director,,,extra\n")
    assert "Line 2: more values than the header has columns." in str(error.value)


def test_a_known_line_manager_need_not_be_in_the_file(tmp_path):
    run(tmp_path, GOOD)
    run(tmp_path, HEADER + "new,new@example.org,New Person,North,Worker,jo,\n")
    assert User.objects.get(username="new").line_manager.username == "jo"


def test_missing_file_and_wrong_encoding(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_staff", str(tmp_path / "nope.csv"))
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "jos\xe9,j@example.org,Jos\xe9,N,W,,\n").encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_staff", str(path))


def test_exits_non_zero_from_the_shell(tmp_path, capsys):
    from django.core.management import ManagementUtility

    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "x,bad,X,T,J,,nope\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_staff", str(path)]).execute()
    assert exited.value.code == 1
    assert "unknown role “nope”" in capsys.readouterr().err


@pytest.mark.parametrize("column, value, says", [
    ("username", "u" * 151, "username is longer than 150"),
    ("email", "a" * 250 + "@example.org", "email is longer than 254"),
    ("full_name", "N" * 201, "full_name is longer than 200"),
    ("job_title", "J" * 201, "job_title is longer than 200"),
    ("team", "T" * 121, "team is longer than 120"),
    ("full_name", "Dana\x00Hughes", "full_name contains a character that is not allowed"),
    ("job_title", "\x00", "job_title contains a character that is not allowed"),
    ("line_manager", "jo\x00", "line_manager contains a character that is not allowed"),
    ("username", "da\x00na", "username contains a character that is not allowed"),
])
def test_too_long_or_null_values_are_refused_by_line(tmp_path, column, value, says):
    row = {"username": "dana", "email": "dana@example.org", "full_name": "Dana Hughes", "team": "Directorate",
           "job_title": "Director", "line_manager": "", "roles": ""}
    row[column] = value
    text = HEADER + GOOD.splitlines()[2] + "\n" + ",".join(row[c] for c in HEADER.strip().split(",")) + "\n"
    with pytest.raises(CommandError) as error:
        run(tmp_path, text)
    assert f"Line 3: {says}" in str(error.value)
    assert not User.objects.exists() and not Team.objects.exists()


def test_a_circle_of_line_managers_is_refused(tmp_path):
    text = HEADER + (
        "ann,ann@example.org,Ann,North,TM,cal,\n"
        "ben,ben@example.org,Ben,North,SW,ann,\n"
        "cal,cal@example.org,Cal,North,SW,ben,\n"
    )
    with pytest.raises(CommandError) as error:
        run(tmp_path, text)
    assert "line managers go round in a circle" in str(error.value)
    assert not User.objects.exists()


def test_a_circle_through_someone_already_in_harbour_is_refused(tmp_path):
    run(tmp_path, GOOD)  # bilal → jo → dana
    with pytest.raises(CommandError) as error:
        run(tmp_path, HEADER + "dana,dana@example.org,Dana Hughes,Directorate,Director,bilal,senior_leader\n")
    assert "dana → bilal → jo → dana" in str(error.value)
    assert User.objects.get(username="dana").line_manager is None


def test_a_username_differing_only_in_case_is_not_a_second_person(tmp_path):
    run(tmp_path, GOOD)
    with pytest.raises(CommandError) as error:
        run(tmp_path, HEADER + "Bilal,bilal@example.org,Bilal Patel,North,Social Worker,jo,\n")
    assert "differs only in case from “bilal”" in str(error.value)
    with pytest.raises(CommandError) as error:
        run(tmp_path, HEADER + "sam,s@example.org,Sam,North,SW,,\nSAM,s2@example.org,Sam Two,North,SW,,\n")
    assert "Line 3: username “SAM” differs only in case from “sam” on line 2" in str(error.value)
    assert User.objects.filter(username__iexact="bilal").count() == 1 and not User.objects.filter(username__iexact="sam")
