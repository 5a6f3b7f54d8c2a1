"""Failed-login lockout per (email, address), per address, and per email under attack, in the database."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import LoginFailureCounter, LoginFailureScope
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import login

LIMIT = 10


def failures(scope: str) -> int:
    """Return the failures counted for ``scope``, summed over keys and buckets."""
    return LoginFailureCounter.objects.filter(scope=scope).aggregate(total=Sum("count"))["total"] or 0


@pytest.fixture
def frozen_now(monkeypatch):
    """Freeze the services' clock at a known moment 30 s into a bucket; return a setter."""
    start = timezone.now().replace(microsecond=0)
    start -= timedelta(seconds=start.timestamp() % 60) - timedelta(seconds=30)
    clock = {"now": start}
    monkeypatch.setattr(services.timezone, "now", lambda: clock["now"])

    def move(**delta):
        clock["now"] = start + timedelta(**delta)
        return clock["now"]

    return move


@pytest.mark.django_db
class TestLimits:
    def test_ten_failures_of_one_email_from_one_address_lock_that_pair_even_with_the_right_password(
        self, user
    ):
        # Two independent clients at one address: only the database connects them.
        first, second = APIClient(), APIClient()
        for attempt in range(LIMIT):
            client = first if attempt % 2 else second
            assert login(client, user.email, "wrong", address="10.1.0.1").status_code == 401
        assert failures(LoginFailureScope.PAIR) == LIMIT
        response = login(APIClient(), user.email, address="10.1.0.1")
        assert response.status_code == 429
        assert response.json()["code"] == "login_throttled"
        assert 0 < int(response["Retry-After"]) <= 15 * 60
        # The owner, from anywhere else, is not locked out.
        assert login(APIClient(), user.email, address="10.1.0.2").status_code == 200

    def test_failures_from_many_addresses_never_lock_the_owner_out_at_an_address_that_has_not_failed(
        self, user, settings
    ):
        settings.LOGIN_FAILURE_EMAIL_LIMIT = 20
        for attempt in range(30):
            assert login(APIClient(), user.email, "wrong", address=f"10.6.{attempt}.1").status_code == 401
        assert failures(LoginFailureScope.EMAIL) == 30
        assert login(APIClient(), user.email, address="10.6.200.1").status_code == 200  # the owner
        # An address that already failed once still has its few attempts while under attack.
        assert login(APIClient(), user.email, address="10.6.0.1").status_code == 200

    def test_under_attack_each_address_gets_only_a_few_guesses(self, user, settings):
        settings.LOGIN_FAILURE_EMAIL_LIMIT = 20
        for attempt in range(20):
            login(APIClient(), user.email, "wrong", address=f"10.7.{attempt}.1")
        guesser = "10.7.250.1"
        for _ in range(settings.LOGIN_FAILURE_UNDER_ATTACK_LIMIT):
            assert login(APIClient(), user.email, "wrong", address=guesser).status_code == 401
        assert login(APIClient(), user.email, "wrong", address=guesser).status_code == 429
        assert login(APIClient(), user.email, address=guesser).status_code == 429  # the right one too
        # Below the email's ceiling the same count at one address is no lockout.
        other = UserFactory()
        for _ in range(settings.LOGIN_FAILURE_UNDER_ATTACK_LIMIT):
            login(APIClient(), other.email, "wrong", address=guesser)
        assert login(APIClient(), other.email, address=guesser).status_code == 200

    def test_one_address_trying_many_emails_is_locked_out_for_all_of_them(self, user, settings):
        settings.LOGIN_FAILURE_ADDRESS_LIMIT = 12
        for attempt in range(12):
            assert (
                login(APIClient(), f"guess{attempt}@example.com", "wrong", address="10.2.0.1").status_code
                == 401
            )
        assert failures(LoginFailureScope.ADDRESS) == 12
        assert login(APIClient(), user.email, address="10.2.0.1").status_code == 429
        assert login(APIClient(), user.email, address="10.2.0.2").status_code == 200

    def test_nine_failures_still_let_the_right_password_in(self, user):
        for _ in range(LIMIT - 1):
            login(APIClient(), user.email, "wrong")
        assert login(APIClient(), user.email).status_code == 200

    def test_a_success_does_not_reset_the_count(self, user):
        for _ in range(LIMIT - 1):
            login(APIClient(), user.email, "wrong")
        assert login(APIClient(), user.email).status_code == 200
        assert login(APIClient(), user.email, "wrong").status_code == 401
        assert login(APIClient(), user.email).status_code == 429

    def test_throttled_attempts_are_not_counted(self, user):
        for _ in range(LIMIT + 5):
            login(APIClient(), user.email, "wrong")
        assert failures(LoginFailureScope.PAIR) == LIMIT

    def test_the_limit_is_configurable(self, user, settings):
        settings.LOGIN_FAILURE_LIMIT = 2
        login(APIClient(), user.email, "wrong")
        login(APIClient(), user.email, "wrong")
        assert login(APIClient(), user.email).status_code == 429

    def test_counters_store_neither_emails_nor_addresses(self, user):
        login(APIClient(), user.email, "wrong", address="10.3.0.1")
        assert LoginFailureCounter.objects.count() == 3  # pair, address, email
        for row in LoginFailureCounter.objects.all():
            assert user.email not in row.key
            assert "10.3.0.1" not in row.key
            assert len(row.key) == 64

    def test_a_wrong_email_is_counted_like_a_wrong_password(self, user):
        for _ in range(LIMIT):
            login(APIClient(), "nobody@example.com", DEFAULT_PASSWORD, address="10.4.0.1")
        assert (
            login(APIClient(), "nobody@example.com", DEFAULT_PASSWORD, address="10.4.0.1").status_code == 429
        )


@pytest.mark.django_db
class TestWindow:
    def test_the_attempt_is_allowed_again_exactly_when_retry_after_says(self, user, frozen_now):
        for _ in range(LIMIT):
            login(APIClient(), user.email, "wrong")
        response = login(APIClient(), user.email)
        assert response.status_code == 429
        retry_after = int(response["Retry-After"])
        # Failures at 30 s into a one-minute bucket leave the 15-minute window with it.
        assert retry_after == 15 * 60 - 30
        frozen_now(seconds=retry_after - 1)
        assert login(APIClient(), user.email).status_code == 429
        frozen_now(seconds=retry_after)
        assert login(APIClient(), user.email).status_code == 200

    def test_failures_spread_over_the_window_add_up(self, user, frozen_now):
        for minute in range(LIMIT):
            frozen_now(minutes=minute)
            login(APIClient(), user.email, "wrong")
        assert login(APIClient(), user.email).status_code == 429
        # The oldest failure leaves first: one more attempt fits one minute later.
        frozen_now(minutes=15)
        assert login(APIClient(), user.email).status_code == 200

    def test_the_window_is_configurable(self, user, frozen_now, settings):
        settings.LOGIN_FAILURE_WINDOW = timedelta(minutes=30)
        for _ in range(LIMIT):
            login(APIClient(), user.email, "wrong")
        frozen_now(minutes=20)
        response = login(APIClient(), user.email)
        assert response.status_code == 429
        # 30-minute window in 2-minute buckets: forgotten 28 to 30 minutes after the failures.
        retry_after = int(response["Retry-After"])
        assert 8 * 60 <= retry_after <= 10 * 60
        frozen_now(minutes=20, seconds=retry_after)
        assert login(APIClient(), user.email).status_code == 200


def login_via_proxy(email: str, password: str, *, forwarded_for: str):
    """POST the token endpoint as a reverse proxy at 10.0.0.9 would relay it."""
    return APIClient().post(
        "/api/v1/auth/token/",
        {"email": email, "password": password},
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.fixture
def one_trusted_proxy(settings):
    """Run behind one trusted reverse proxy (TRUSTED_PROXY_COUNT=1)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


@pytest.mark.django_db
class TestClientAddress:
    def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(self, user):
        for attempt in range(LIMIT):
            response = login_via_proxy(user.email, "wrong", forwarded_for=f"198.51.100.{attempt}")
            assert response.status_code == 401
        # A fresh X-Forwarded-For does not make a fresh address: the peer's is counted.
        assert login_via_proxy(user.email, DEFAULT_PASSWORD, forwarded_for="198.51.100.99").status_code == 429

    def test_behind_a_trusted_proxy_one_clients_failures_do_not_lock_out_the_others(
        self, user, one_trusted_proxy
    ):
        for _attempt in range(LIMIT):
            response = login_via_proxy(user.email, "wrong", forwarded_for="203.0.113.5")
            assert response.status_code == 401

        assert login_via_proxy(user.email, DEFAULT_PASSWORD, forwarded_for="203.0.113.5").status_code == 429
        assert login_via_proxy(user.email, DEFAULT_PASSWORD, forwarded_for="203.0.113.6").status_code == 200

    def test_behind_a_trusted_proxy_a_client_cannot_choose_its_address(self, user, one_trusted_proxy):
        # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
        for attempt in range(LIMIT):
            chosen_then_seen = f"198.51.100.{attempt}, 203.0.113.7"
            response = login_via_proxy(user.email, "wrong", forwarded_for=chosen_then_seen)
            assert response.status_code == 401

        right = login_via_proxy(user.email, DEFAULT_PASSWORD, forwarded_for="198.51.100.99, 203.0.113.7")
        assert right.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_from_separate_connections_lose_no_count(user):
    """Threads stand in for server processes: each has its own client and database connection."""
    per_thread, threads = 5, 2
    barrier = threading.Barrier(threads)
    statuses: list[int] = []

    def worker(index: int) -> None:
        try:
            client = APIClient()
            barrier.wait()
            for _ in range(per_thread):
                statuses.append(login(client, user.email, "wrong", address="10.5.0.1").status_code)
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(index,)) for index in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert statuses == [401] * (per_thread * threads)
    assert failures(LoginFailureScope.PAIR) == per_thread * threads == LIMIT
    assert login(APIClient(), user.email, address="10.5.0.1").status_code == 429
