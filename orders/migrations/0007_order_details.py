"""Give orders their read model (``Order.details``) and fill it in for the orders already placed."""

from django.db import migrations, models

from orders.representation import HISTORY_COLUMNS, LINE_COLUMNS, details_render

BATCH = 500


def render_existing_orders(apps, schema_editor):
    """Render the lines and history of every order without details, a batch of orders at a time."""
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    OrderStatusChange = apps.get_model("orders", "OrderStatusChange")
    pending = Order.objects.filter(details__isnull=True).order_by("pk").values_list("pk", flat=True)
    batch = list(pending[:BATCH])
    while batch:
        lines = {pk: [] for pk in batch}
        history = {pk: [] for pk in batch}
        rows = OrderLine.objects.filter(order_id__in=batch).order_by("order_id", "position")
        for row in rows.values(*LINE_COLUMNS):
            lines[row["order_id"]].append(row)
        moves = OrderStatusChange.objects.filter(order_id__in=batch).order_by("order_id", "changed_at", "id")
        for row in moves.values(*HISTORY_COLUMNS):
            history[row["order_id"]].append(row)
        for pk in batch:
            Order.objects.filter(pk=pk).update(details=details_render(lines=lines[pk], history=history[pk]))
        batch = list(pending.filter(pk__gt=batch[-1])[:BATCH])


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0006_number_existing_orders"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="details",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(render_existing_orders, migrations.RunPython.noop, elidable=False),
    ]
