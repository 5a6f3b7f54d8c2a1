"""Admin pages of the catalog; every save and delete goes through catalog.services.

Stock typed into the admin (the change form or the editable list) is applied as
the difference from the stock the editor saw when the page was rendered: the
``stock`` field renders that value in a hidden ``initial-...`` input
(``show_hidden_initial``), so an order placed while the page was open keeps its
reservation instead of being overwritten.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from catalog import services
from catalog.models import Category, Product
from shop import transactions
from shop.errors import Conflict, InvalidInput, ShopError

PRODUCT_FORM_FIELDS = ("sku", "name", "category", "description", "price", "stock", "is_active")


class ProductAdminForm(forms.ModelForm):
    """Product form whose checks are the services' checks (errors land on the field)."""

    class Meta:
        model = Product
        fields = PRODUCT_FORM_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "stock" in self.fields:
            # Carry the stock shown to the editor through the POST (see the module docstring).
            self.fields["stock"].show_hidden_initial = True

    def seen_stock(self) -> int | None:
        """Return the stock the editor saw (the hidden initial value), or None if absent or bad."""
        field = self.fields["stock"]
        raw = field.hidden_widget().value_from_datadict(
            self.data, self.files, self.add_initial_prefix("stock")
        )
        try:
            value = field.to_python(raw)
        except ValidationError:
            return None
        return value if value is not None and value >= 0 else None

    def _service_check(self, check) -> None:
        """Run a service validation, moving an InvalidInput onto the form field it names."""
        try:
            check()
        except InvalidInput as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)

    def clean(self):
        """Check price, stock and uniqueness with the services' own rules."""
        cleaned = super().clean()
        if cleaned.get("price") is not None and not self.stays_unpriced_import(cleaned):
            self._service_check(lambda: services.clean_price(cleaned["price"]))
        if cleaned.get("stock") is not None:
            self._service_check(lambda: services.clean_stock(cleaned["stock"]))
            if "stock" in cleaned:  # still valid
                self._check_stock_still_possible(cleaned["stock"])
        if {"sku", "name", "category"} <= set(self.fields) and not self.errors:
            self._service_check(
                lambda: services.product_check_unique(
                    sku=cleaned["sku"],
                    name=cleaned["name"],
                    category_slug=cleaned["category"].slug,
                    exclude_pk=self.instance.pk,
                ),
            )
        return cleaned

    def stays_unpriced_import(self, cleaned: dict) -> bool:
        """Return whether this is an imported product left at price 0.00 and inactive (allowed).

        ``import_legacy`` creates such products; they need a price only to be activated,
        so their rows in the editable list must not block saving the other rows.
        """
        is_active = cleaned.get("is_active", self.instance.is_active)
        return bool(self.instance.is_imported and cleaned["price"] == 0 and not is_active)

    def _check_stock_still_possible(self, wanted: int) -> None:
        """Refuse a reduction larger than what is left now (orders took units meanwhile)."""
        if self.instance.pk is None or "stock" not in self.changed_data:
            return
        seen = self.stock_seen_or_current()
        current = self.initial.get("stock", seen)
        if current + (wanted - seen) < 0:
            self.add_error(
                "stock",
                f"Only {current} left now (orders reserved {seen - current} since the page was "
                f"loaded), so the stock cannot go from {seen} to {wanted}. Reload and try again.",
            )

    def stock_seen_or_current(self) -> int:
        """Return the stock the editor saw, falling back to the stock read for this request."""
        seen = self.seen_stock()
        return seen if seen is not None else self.initial.get("stock", 0)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """Products: list with editable price and stock, search, filters; saves through services."""

    form = ProductAdminForm
    list_display = ("sku", "name", "category_slug", "price", "stock", "is_active")
    list_display_links = ("sku", "name")
    list_editable = ("price", "stock")
    list_filter = ("category", "is_active", "is_imported")
    search_fields = ("sku", "name")
    readonly_fields = ("created_at", "updated_at")
    ordering = ("name", "id")
    actions = ("deactivate_selected",)

    @admin.display(description="category", ordering="category_id")
    def category_slug(self, product: Product) -> str:
        """Show the category slug stored on the product (no query per row)."""
        return product.category_id

    def changelist_view(self, request, extra_context=None):
        """Save an edited list (several products at once) as one business operation.

        Django wraps the list's saves in ``transaction.atomic()``, which does nothing
        on MongoDB; ``shop.transactions.run`` makes them one transaction there too.
        """
        if request.method == "POST" and "_save" in request.POST:
            return transactions.run(lambda: super(ProductAdmin, self).changelist_view(request, extra_context))
        return super().changelist_view(request, extra_context)

    def get_changelist_form(self, request, **kwargs):
        """Use the validating product form for the editable list too."""
        kwargs.setdefault("form", ProductAdminForm)
        return super().get_changelist_form(request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Create or update through the services; stock moves by the difference from what was seen."""
        data = form.cleaned_data
        try:
            if not change:
                product = services.product_create(**{name: data[name] for name in PRODUCT_FORM_FIELDS})
                obj.pk = product.pk
                obj._state.adding = False
                obj.refresh_from_db()
                return
            changes = {name: data[name] for name in form.changed_data if name in PRODUCT_FORM_FIELDS}
            if not changes:
                return
            seen = form.stock_seen_or_current() if "stock" in changes else None
            services.product_update(product=obj, seen_stock=seen, **changes)
        except (InvalidInput, Conflict) as exc:
            # Only a race with another writer after the form's own checks gets here.
            self.message_user(request, f"{obj}: not saved: {exc.message}", level=messages.ERROR)

    def delete_model(self, request, obj):
        """Delete through product_delete: a product that was ever ordered is deactivated."""
        if not services.product_delete(product=obj):
            self.message_user(
                request,
                f"{obj} was ordered before, so it was deactivated instead of deleted.",
                messages.WARNING,
            )

    def delete_queryset(self, request, queryset):
        """Delete (or deactivate, if ever ordered) each selected product through the service."""
        for product in queryset:
            self.delete_model(request, product)

    def get_deleted_objects(self, objs, request):
        """Describe the delete honestly: ordered products will be deactivated, not removed.

        Django would otherwise refuse the whole delete because order lines protect
        ordered products; the service's deactivation is the intended outcome.
        """
        objs = list(objs)
        described = []
        for product in objs:
            if services.product_was_ordered(product=product):
                described.append(
                    format_html("{} <strong>(ordered before: will be deactivated)</strong>", product)
                )
            else:
                described.append(str(product))
        perms_needed = set() if self.has_delete_permission(request) else {Product._meta.verbose_name}
        return described, {Product._meta.verbose_name_plural: len(objs)}, perms_needed, []

    @admin.action(description="Deactivate selected products (hide them from customers)")
    def deactivate_selected(self, request, queryset):
        """Deactivate each selected product through the service."""
        count = 0
        for product in queryset:
            services.product_deactivate(product=product)
            count += 1
        self.message_user(request, f"{count} products deactivated.", messages.SUCCESS)


class CategoryAdminForm(forms.ModelForm):
    """Category form checked with the services' rules."""

    class Meta:
        model = Category
        fields = ("name", "slug")

    def clean(self):
        """Check slug and name like category_create/category_update do."""
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.category_clean(
                slug=cleaned.get("slug", self.instance.slug),
                name=cleaned.get("name", self.instance.name),
                exclude_pk=self.instance.pk,
            )
        except InvalidInput as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return cleaned


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Categories; the slug is prepopulated from the name and fixed once products use it."""

    form = CategoryAdminForm
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("name",)

    def _in_use(self, obj) -> bool:
        return (
            obj is not None and obj.pk is not None and Product.objects.filter(category_id=obj.slug).exists()
        )

    def get_readonly_fields(self, request, obj=None):
        """Make the slug read-only once products point at it."""
        return ("slug",) if self._in_use(obj) else ()

    def get_prepopulated_fields(self, request, obj=None):
        """Prepopulate the slug only while it can still change."""
        return {} if self._in_use(obj) else self.prepopulated_fields

    def save_model(self, request, obj, form, change):
        """Create or update through the services."""
        try:
            if not change:
                created = services.category_create(slug=obj.slug, name=obj.name)
                obj.pk = created.pk
                obj._state.adding = False
            else:
                services.category_update(
                    category=Category.objects.get(pk=obj.pk), slug=obj.slug, name=obj.name
                )
        except ShopError as exc:
            self.message_user(request, f"{obj}: not saved: {exc.message}", level=messages.ERROR)

    def delete_model(self, request, obj):
        """Delete through category_delete (refused while products use the category)."""
        try:
            services.category_delete(category=obj)
        except ShopError as exc:
            self.message_user(request, f"{obj}: not deleted: {exc.message}", level=messages.ERROR)

    def delete_queryset(self, request, queryset):
        """Delete each selected category through the service."""
        for category in queryset:
            self.delete_model(request, category)
