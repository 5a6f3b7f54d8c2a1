"""Number the orders placed before order numbers existed (from 1001, oldest first), then require a number."""

from django.db import migrations, models

FIRST_ORDER_NUMBER = 1001  # orders.services.FIRST_ORDER_NUMBER when this was written


def number_existing_orders(apps, schema_editor):
    """Give every order without a number the next one, in the order they were placed."""
    Order = apps.get_model("orders", "Order")
    highest = Order.objects.filter(number__isnull=False).order_by("-number").values_list("number", flat=True)
    number = max(highest.first() or 0, FIRST_ORDER_NUMBER - 1)
    unnumbered = Order.objects.filter(number__isnull=True).order_by("created_at", "pk").values_list("pk", flat=True)
    for pk in unnumbered.iterator():
        number += 1
        Order.objects.filter(pk=pk).update(number=number)


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0005_order_number_shipping_address_note"),
    ]

    operations = [
        migrations.RunPython(number_existing_orders, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="order",
            name="number",
            field=models.PositiveBigIntegerField(editable=False, unique=True),
        ),
    ]
