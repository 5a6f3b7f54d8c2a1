"""Admin pages for users (email login, names, staff flags, token revocation state) and their addresses.

A password set and an account deleted here go through ``accounts.services`` like
everywhere else: every token and session of the user dies, open orders are
cancelled with their stock returned. The admin's login form is the shop's (the
shared lockout, ``accounts.forms``). Saved addresses are the customers' own: staff
see them (on the user's page and in their own list) but do not change them.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm, UserChangeForm

from accounts import services
from accounts.forms import ShopAdminAuthenticationForm
from accounts.models import Address, User
from shop.services import account_close

admin.site.login_form = ShopAdminAuthenticationForm


class ShopUserCreationForm(AdminUserCreationForm):
    """Create a user from an email address and a password."""

    class Meta:
        model = User
        fields = ("email",)


class ShopUserChangeForm(UserChangeForm):
    """Edit a user; the email is the login name."""

    class Meta:
        model = User
        fields = "__all__"


class ShopPasswordChangeForm(AdminPasswordChangeForm):
    """Set a user's password (or make it unusable) through ``user_password_set``."""

    def save(self, commit=True):
        """Store the new password; the user's tokens and sessions end (``commit`` is always honoured)."""
        usable = self.cleaned_data.get("set_usable_password", True)
        services.user_password_set(
            user=self.user, password=self.cleaned_data["password1"] if usable else None
        )
        return self.user


class ViewOnlyAdminMixin:
    """Admin pages that show rows and never add, change or delete them."""

    def has_add_permission(self, request, obj=None):
        """Refuse: customers manage their addresses through the API."""
        return False

    def has_change_permission(self, request, obj=None):
        """Refuse: customers manage their addresses through the API."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Refuse: customers manage their addresses through the API."""
        return False


class AddressInline(ViewOnlyAdminMixin, admin.TabularInline):
    """The user's saved addresses."""

    model = Address
    fields = (
        "full_name",
        "line1",
        "line2",
        "postal_code",
        "city",
        "region",
        "country",
        "phone",
        "is_default",
    )
    readonly_fields = fields
    extra = 0
    ordering = ("created_at", "id")


@admin.register(Address)
class AddressAdmin(ViewOnlyAdminMixin, admin.ModelAdmin):
    """Every saved address, by customer; view only."""

    list_display = ("full_name", "customer", "city", "country", "is_default", "created_at")
    list_filter = ("country", "is_default")
    list_select_related = ("customer",)
    search_fields = ("customer__email", "full_name", "postal_code", "city")
    ordering = ("customer_id", "created_at", "id")
    readonly_fields = (
        "customer",
        "full_name",
        "line1",
        "line2",
        "postal_code",
        "city",
        "region",
        "country",
        "phone",
        "is_default",
        "created_at",
    )
    fields = readonly_fields


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Show and edit users by email; passwords and deletions go through the account services."""

    form = ShopUserChangeForm
    add_form = ShopUserCreationForm
    change_password_form = ShopPasswordChangeForm
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("date_joined", "last_login", "token_version", "tokens_valid_after")
    inlines = (AddressInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Tokens", {"fields": ("token_version", "tokens_valid_after")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "usable_password", "password1", "password2")}),
    )

    def delete_model(self, request, obj):
        """Close the account as ``DELETE /api/v1/accounts/me/`` does (``shop.services.account_close``)."""
        account_close(user=obj)

    def delete_queryset(self, request, queryset):
        """Close each selected account through ``account_close``."""
        for user in queryset:
            account_close(user=user)
