"""The accounts services called directly, as the legacy routes and commands call them."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import services
from accounts.models import LoginFailureCounter, LoginFailureScope, RevokedToken, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import STRONG_PASSWORD, bearer, claims
from shop import errors

pytestmark = pytest.mark.django_db


class TestTokenObtain:
    def test_returns_a_pair_the_v1_api_accepts(self, user):
        pair = services.token_obtain(email=user.email, password=DEFAULT_PASSWORD, client_address="10.6.0.1")
        assert set(pair) == {"access", "refresh"}
        assert bearer(pair["access"]).get("/api/v1/accounts/me/").status_code == 200

    def test_wrong_credentials_raise_not_authenticated_with_one_message(self, user):
        with pytest.raises(errors.NotAuthenticated) as wrong_password:
            services.token_obtain(email=user.email, password="nope", client_address="10.6.0.1")
        with pytest.raises(errors.NotAuthenticated) as wrong_email:
            services.token_obtain(
                email="no@example.com", password=DEFAULT_PASSWORD, client_address="10.6.0.1"
            )
        assert (
            wrong_password.value.message == wrong_email.value.message == services.INVALID_CREDENTIALS_MESSAGE
        )
        assert wrong_password.value.code == wrong_email.value.code == "invalid_credentials"

    def test_shares_the_failure_count_with_the_v1_endpoint(self, user, settings, api_client):
        settings.LOGIN_FAILURE_LIMIT = 2
        api_client.post("/api/v1/auth/token/", {"email": user.email, "password": "x"}, REMOTE_ADDR="10.6.0.2")
        with pytest.raises(errors.NotAuthenticated):
            services.token_obtain(email=user.email, password="x", client_address="10.6.0.2")
        with pytest.raises(errors.Throttled) as throttled:
            services.token_obtain(email=user.email, password=DEFAULT_PASSWORD, client_address="10.6.0.2")
        assert throttled.value.retry_after > 0

    def test_a_missing_client_address_is_counted_under_one_unknown_key(self, user, settings):
        settings.LOGIN_FAILURE_ADDRESS_LIMIT = 1
        with pytest.raises(errors.NotAuthenticated):
            services.token_obtain(email="a@example.com", password="x", client_address="")
        with pytest.raises(errors.Throttled):
            services.token_obtain(email=user.email, password=DEFAULT_PASSWORD, client_address="")


class TestRegisterService:
    def test_refuses_a_taken_address_in_any_case(self, user):
        with pytest.raises(errors.InvalidInput) as taken:
            services.user_register(email=user.email.upper(), password=STRONG_PASSWORD)
        assert taken.value.field == "email"

    def test_refuses_weak_passwords_naming_every_problem(self):
        with pytest.raises(errors.InvalidInput) as weak:
            services.user_register(email="new@example.com", password="1234")
        assert weak.value.field == "password"
        assert "too short" in weak.value.message
        assert "entirely numeric" in weak.value.message


class TestRevocation:
    def test_logout_all_bumps_the_version_once_per_call(self, user):
        services.logout_all(user=user)
        services.logout_all(user=user)
        assert User.objects.get(pk=user.pk).token_version == 2
        assert user.token_version == 2

    def test_refresh_reuse_is_refused_even_when_the_first_use_raced(self, user):
        pair = services.token_obtain(email=user.email, password=DEFAULT_PASSWORD, client_address="10.6.1.1")
        token = services.refresh_token_parse(refresh=pair["refresh"])
        assert services.refresh_token_revoke(token=token) is True
        assert services.refresh_token_revoke(token=token) is False
        with pytest.raises(errors.NotAuthenticated) as reused:
            services.token_refresh(refresh=pair["refresh"])
        assert reused.value.code == "token_revoked"


class TestPurgeCommand:
    def test_purges_expired_revocations_and_stale_counters_only(self, user):
        now = timezone.now()
        RevokedToken.objects.create(jti="expired", expires_at=now - timedelta(seconds=1))
        RevokedToken.objects.create(jti="live", expires_at=now + timedelta(days=1))
        # Older than every policy's window (registrations count for an hour).
        LoginFailureCounter.objects.create(
            scope=LoginFailureScope.EMAIL, key="a" * 64, window_start=now - timedelta(minutes=61), count=3
        )
        LoginFailureCounter.objects.create(
            scope=LoginFailureScope.REGISTRATION,
            key="b" * 64,
            window_start=now - timedelta(minutes=30),
            count=1,
        )
        services.login_failure_record(
            keys=services.login_failure_keys(email=user.email, client_address="10.7.0.1"), now=now
        )
        out = StringIO()
        call_command("purge_revoked_tokens", stdout=out)
        assert list(RevokedToken.objects.values_list("jti", flat=True)) == ["live"]
        assert LoginFailureCounter.objects.count() == 4  # this login's three, the registration's
        assert not LoginFailureCounter.objects.filter(key="a" * 64).exists()
        assert "Purged 1 revoked token(s) and 1 failed-login counter(s)." in out.getvalue()

    def test_a_revoked_token_stays_dead_until_it_would_have_expired(self, user, api_client):
        refresh = services.token_obtain(
            email=user.email, password=DEFAULT_PASSWORD, client_address="1.1.1.1"
        )["refresh"]
        services.token_refresh(refresh=refresh)
        call_command("purge_revoked_tokens", stdout=StringIO())
        assert RevokedToken.objects.filter(jti=claims(refresh)["jti"]).exists()
        assert api_client.post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 401


def test_user_update_changes_only_given_names():
    user = UserFactory(first_name="Ann", last_name="Lee")
    services.user_update(user=user, last_name="")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ann", "")
