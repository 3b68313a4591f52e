"""Guest orders placed with an address a member had already confirmed before guest orders were
claimed at confirmation (orders.signals): put them under that member once."""

from django.db import migrations


def claim(apps, schema_editor):
    EmailAddress = apps.get_model("account", "EmailAddress")
    Order = apps.get_model("orders", "Order")
    verified = EmailAddress.objects.filter(verified=True).values_list("email", "user_id")
    for email, user_id in verified.iterator():
        Order.objects.filter(user__isnull=True, email=email.strip().lower()).update(
            user_id=user_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(claim, migrations.RunPython.noop)]
