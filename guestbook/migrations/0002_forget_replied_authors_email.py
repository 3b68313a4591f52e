from django.db import migrations


def forget_emails(apps, schema_editor):
    # The author's address is asked for only to tell them of the reply, and forgotten once they
    # were (guestbook.services.reply_to_entry, the privacy page): the entries answered before
    # that rule kept it. The reply e-mail went out with the first reply, so nothing is lost.
    Entry = apps.get_model("guestbook", "Entry")
    Entry.objects.exclude(reply="").exclude(email="").update(email="")


class Migration(migrations.Migration):
    dependencies = [
        ("guestbook", "0001_initial"),
    ]

    # Not reversible in data (the addresses are gone): unapplying does nothing.
    operations = [migrations.RunPython(forget_emails, migrations.RunPython.noop, elidable=True)]
