from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from people.staff_import import COLUMNS, StaffImportError, import_staff


class Command(BaseCommand):
    help = (
        "Import or update the staff directory from a CSV file with the header "
        f"{','.join(COLUMNS)}. Any bad row refuses the whole file."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"No such file: {file}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text. Save it as CSV (UTF-8) and try again.") from None
        try:
            result = import_staff(text)
        except StaffImportError as error:
            raise CommandError(
                f"Nothing was imported: {len(error.problems)} problem(s) in {file}:\n" + "\n".join(error.problems)
            ) from None
        self.stdout.write(self.style.SUCCESS(
            f"Imported {file}: {len(result.created)} added, {len(result.updated)} updated, "
            f"{len(result.teams_created)} new team(s)."
        ))
