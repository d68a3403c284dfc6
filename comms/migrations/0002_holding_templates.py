"""Compassionate default holding statements: no speculation, no names, what is being done, when more
will follow. Councils edit them in the admin before they are ever needed."""

from django.db import migrations

TEMPLATES = [
    ("child_death", "Death of a child: first holding statement",
     "Statement from {service_area}",
     "We are deeply saddened to learn of the death of a child in our area. Our thoughts are with everyone who "
     "knew and loved them.\n\nWe are working closely with the police and our partner agencies, and we are "
     "supporting the people affected. It would not be appropriate to comment further while enquiries are "
     "under way, and we ask that the family's privacy is respected at this very difficult time.\n\n"
     "We will share more information when we are able to. Statement issued {date}."),
    ("child_serious_harm", "Serious harm to a child: first holding statement",
     "Statement from {service_area}",
     "We are aware of a serious incident involving a child in our area. The child's safety and wellbeing are "
     "our first concern, and we are working closely with the police and partner agencies.\n\nTo protect the "
     "child and their family, we will not share details. We will say more when we are able to. "
     "Statement issued {date}."),
    ("adult_death", "Death of an adult: first holding statement",
     "Statement from {service_area}",
     "We are very sad to learn of the death of a person who was known to our services. Our thoughts are with "
     "their family and friends.\n\nWe are working with the relevant agencies to understand what happened. It "
     "would not be right to comment further at this stage, and we ask that the family's privacy is respected."
     "\n\nWe will share more when we can. Statement issued {date}."),
    ("adult_serious_harm", "Serious harm to an adult: first holding statement",
     "Statement from {service_area}",
     "We are aware of a serious incident involving an adult known to our services. Their safety and wellbeing "
     "come first, and we are working with partner agencies.\n\nWe will not share personal details. We will "
     "say more when we are able to. Statement issued {date}."),
    ("community_violence", "Community violence: first holding statement",
     "Statement from {service_area}",
     "We know that many people in our community are frightened and upset by what has happened. We are working "
     "with the police and community partners to keep people safe, and our services remain open to anyone who "
     "needs them.\n\nIf you are worried about a child or an adult, please contact us. We will share updates "
     "as soon as we can. Statement issued {date}."),
    ("staff_assault", "Assault on staff: first holding statement",
     "Statement from {service_area}",
     "We can confirm that a member of our staff was hurt while at work. Their wellbeing is our priority and "
     "we are supporting them and their colleagues.\n\nThe matter is being looked into with the police, so we "
     "cannot comment further. Statement issued {date}."),
    ("", "General holding statement",
     "Statement from {service_area}",
     "We are aware of a serious incident and are working with our partner agencies to respond to it. The "
     "safety and wellbeing of the people involved come first.\n\nIt would not be appropriate to comment "
     "further at this stage. We will share more information when we are able to. Statement issued {date}."),
]


def seed(apps, schema_editor):
    HoldingTemplate = apps.get_model("comms", "HoldingTemplate")
    for kind, name, subject, body in TEMPLATES:
        HoldingTemplate.objects.get_or_create(name=name, defaults={"kind": kind, "subject": subject, "body": body})


class Migration(migrations.Migration):
    dependencies = [("comms", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
