"""Django admin for orders: browse, search, and move statuses only through the service.

Staff never write ``status`` directly: the change form offers the legal next
statuses of the order and saves through ``order_set_status``, and the list
actions go through ``order_set_status``/``order_cancel``, reporting refused rows
by number. Orders are neither added nor deleted here (they are the shop's books).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils.html import format_html_join
from django.utils.translation import ngettext

from orders.errors import InvalidTransition
from orders.models import Actor, Order, OrderLine, OrderStatus, OrderStatusChange
from orders.selectors import order_id_parse
from orders.services import order_cancel, order_next_statuses, order_set_status
from shop.db import exactly_ignoring_case


class ReadOnlyInline(admin.TabularInline):
    """An inline that only shows rows: no adding, changing or deleting."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        """Refuse: rows are written by the order services only."""
        return False

    def has_change_permission(self, request, obj=None):
        """Refuse: rows are written by the order services only."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Refuse: history and lines are kept."""
        return False


class OrderLineInline(ReadOnlyInline):
    """The order's lines with their price snapshots."""

    model = OrderLine
    fields = ("position", "product", "sku", "name", "category_slug", "unit_price", "quantity", "line_total")
    readonly_fields = fields
    ordering = ("position",)


class OrderStatusChangeInline(ReadOnlyInline):
    """The order's status history, with the staff member who made each move (admin only)."""

    model = OrderStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "changed_by_user", "note")
    readonly_fields = fields
    ordering = ("changed_at", "id")
    verbose_name = "status change"
    verbose_name_plural = "status history"


class OrderAdminForm(forms.ModelForm):
    """The change form: every order field is read-only; ``next_status`` offers the legal moves only."""

    next_status = forms.ChoiceField(
        required=False,
        label="Move to",
        help_text="Only the moves the order's current status allows. Cancelling returns the stock.",
    )

    class Meta:
        model = Order
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.status if self.instance.pk else OrderStatus.IN_PROGRESS
        labels = dict(OrderStatus.choices)
        legal = sorted(order_next_statuses(status=current))
        self.fields["next_status"].choices = [("", f"(keep {labels[current]})")] + [
            (status, labels[status]) for status in legal
        ]
        if not legal:
            self.fields["next_status"].disabled = True


class ShippingAddressFilter(admin.SimpleListFilter):
    """Orders with or without a shipping address (those placed through the legacy routes have none)."""

    title = "shipping address"
    parameter_name = "shipping_address"

    def lookups(self, request, model_admin):
        """Offer both halves."""
        return (("yes", "With an address"), ("no", "Without an address"))

    def queryset(self, request, queryset):
        """Keep the orders of the chosen half."""
        if self.value() == "no":
            return queryset.filter(shipping_address__isnull=True)
        if self.value() == "yes":
            return queryset.filter(shipping_address__isnull=False)
        return queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders for staff: list, filters, search, read-only details and status moves via the service."""

    form = OrderAdminForm
    list_display = ("number", "customer_email", "status", "total", "currency", "ships_to", "created_at")
    list_filter = ("status", ShippingAddressFilter, "created_at")
    list_select_related = ("customer",)
    search_fields = ("customer__email",)
    search_help_text = "Order number, order id, customer email or SKU."
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "number",
        "customer",
        "status",
        "total",
        "currency",
        "shipping_address_lines",
        "note",
        "created_at",
        "updated_at",
    )
    fields = (*readonly_fields, "next_status")
    inlines = (OrderLineInline, OrderStatusChangeInline)
    actions = ("mark_shipped", "mark_delivered", "cancel_and_restock")
    show_full_result_count = False

    @admin.display(description="customer", ordering="customer__email")
    def customer_email(self, order: Order) -> str:
        """Return the customer's email, or a dash for an order detached by account deletion."""
        return order.customer.email if order.customer else "- (account deleted)"

    @admin.display(description="ships to")
    def ships_to(self, order: Order) -> str:
        """Return the city and country the order goes to, or a dash for an order without an address."""
        address = order.shipping_address
        return f"{address.get('city', '')}, {address.get('country', '')}" if address else "-"

    @admin.display(description="shipping address")
    def shipping_address_lines(self, order: Order) -> str:
        """Return the order's address snapshot as lines (escaped), or a dash."""
        address = order.shipping_address
        if not address:
            return "- (placed through the legacy routes)"
        city = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
        parts = (
            address.get("full_name"),
            address.get("line1"),
            address.get("line2"),
            city,
            address.get("region"),
            address.get("country"),
            address.get("phone"),
        )
        return format_html_join("", "{}<br>", ((part,) for part in parts if part))

    def has_add_permission(self, request):
        """Refuse: orders are placed through the API (``order_create``) only."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Refuse: orders are the shop's books; cancel them instead."""
        return False

    def get_search_results(self, request, queryset, search_term):
        """Find orders by number, exact id, customer email (contains) or a line's SKU (exact, any case).

        The id is parsed for the active backend first (a malformed one matches
        nothing instead of failing), and SKUs are resolved to order ids with one
        query on the lines, so the result needs no DISTINCT.
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(customer__email__icontains=term)
        if term.isascii() and term.isdigit() and len(term) <= 18:
            condition |= Q(number=int(term))
        order_pk = order_id_parse(term)
        if order_pk is not None:
            condition |= Q(pk=order_pk)
        with_sku = list(
            OrderLine.objects.filter(exactly_ignoring_case("sku", term))
            .order_by()
            .values_list("order_id", flat=True)[:1000]
        )
        if with_sku:
            condition |= Q(pk__in=with_sku)
        return queryset.filter(condition), False

    def save_model(self, request, obj, form, change):
        """Move the order through ``order_set_status`` if a next status was chosen; write nothing else."""
        to_status = form.cleaned_data.get("next_status")
        if not to_status:
            return
        try:
            order_set_status(order=obj, to_status=to_status, by=Actor.STAFF, by_user=request.user)
        except InvalidTransition as error:
            self.message_user(request, f"Order {obj.number}: {error.message}", messages.ERROR)

    def _move_selected(self, request, queryset, *, to_status: str, verb: str) -> None:
        moved, refused = [], []
        for order in queryset.order_by("pk"):
            try:
                if to_status == OrderStatus.CANCELLED:
                    order_cancel(order=order, by=Actor.STAFF, by_user=request.user)
                else:
                    order_set_status(order=order, to_status=to_status, by=Actor.STAFF, by_user=request.user)
            except InvalidTransition:
                refused.append(str(order.number))
            else:
                moved.append(str(order.number))
        if moved:
            self.message_user(
                request,
                ngettext("%(count)d order %(verb)s.", "%(count)d orders %(verb)s.", len(moved))
                % {"count": len(moved), "verb": verb},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                f"Refused (status does not allow it): {', '.join(refused)}.",
                messages.WARNING,
            )

    @admin.action(description="Mark shipped", permissions=["change"])
    def mark_shipped(self, request, queryset):
        """Move the selected IN_PROGRESS orders to SHIPPED; report the others by number."""
        self._move_selected(request, queryset, to_status=OrderStatus.SHIPPED, verb="marked shipped")

    @admin.action(description="Mark delivered", permissions=["change"])
    def mark_delivered(self, request, queryset):
        """Move the selected SHIPPED orders to DELIVERED; report the others by number."""
        self._move_selected(request, queryset, to_status=OrderStatus.DELIVERED, verb="marked delivered")

    @admin.action(description="Cancel and restock", permissions=["change"])
    def cancel_and_restock(self, request, queryset):
        """Cancel the selected IN_PROGRESS orders, returning their stock; report the others by number."""
        self._move_selected(
            request, queryset, to_status=OrderStatus.CANCELLED, verb="cancelled and restocked"
        )
