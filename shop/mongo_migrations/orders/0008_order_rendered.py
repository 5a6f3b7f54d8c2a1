"""Give orders their rendered representation (``Order.rendered``) and fill it in for orders with details."""

from django.db import migrations, models

from orders.representation import order_rendered

BATCH = 500


def render_existing_orders(apps, schema_editor):
    """Render every order that has details and no rendering yet, a batch of orders at a time."""
    Order = apps.get_model("orders", "Order")
    pending = Order.objects.filter(rendered__isnull=True, details__isnull=False).order_by("pk")
    batch = list(pending[:BATCH])
    while batch:
        for order in batch:
            Order.objects.filter(pk=order.pk).update(rendered=order_rendered(order))
        batch = list(pending.filter(pk__gt=batch[-1].pk)[:BATCH])


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0007_order_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="rendered",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(render_existing_orders, migrations.RunPython.noop, elidable=False),
    ]
