"""Password reset (API.md "Password reset"): the link, the confirmation, the throttles."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import User, UserSession
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import ME, STRONG_PASSWORD, bearer, login
from accounts.tokens import issue_token_pair
from notifications.models import OutboxEmail

pytestmark = pytest.mark.django_db

CONFIRM = "/api/v1/auth/password-reset/confirm/"


def link_parts(user) -> dict[str, str]:
    """Return the uid and token of a fresh reset link of ``user``."""
    query = parse_qs(urlsplit(services.password_reset_link(user=user)).query)
    return {"uid": query["uid"][0], "token": query["token"][0]}


def confirm(client, parts, password=STRONG_PASSWORD, address="10.0.0.5"):
    return client.post(CONFIRM, {**parts, "new_password": password}, format="json", REMOTE_ADDR=address)


def test_the_link_follows_the_template(settings, user):
    settings.PASSWORD_RESET_URL = "https://shop.example/reset/{uid}/{token}?from=mail"
    link = services.password_reset_link(user=user)
    assert link.startswith("https://shop.example/reset/") and link.endswith("?from=mail")
    assert "{uid}" not in link and "{token}" not in link


def test_confirm_sets_the_password_and_kills_every_token_and_session(api_client, user):
    access = issue_token_pair(user)["access"]
    assert bearer(access).get(ME).status_code == 200
    UserSession.objects.create(
        session_key="k" * 32, session_data="", expire_date=timezone.now() + timedelta(days=1), user=user
    )

    response = confirm(api_client, link_parts(user))

    assert response.status_code == 204, response.content
    assert login(api_client, user.email, STRONG_PASSWORD).status_code == 200
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 401
    assert bearer(access).get(ME).status_code == 401
    assert not UserSession.objects.filter(user=user).exists()


def test_a_link_works_once(api_client, user):
    parts = link_parts(user)
    assert confirm(api_client, parts).status_code == 204
    again = confirm(api_client, parts, password="Another-Maple-Orbit-94")
    assert again.status_code == 400
    assert list(again.json()) == ["token"]
    assert login(api_client, user.email, STRONG_PASSWORD).status_code == 200


def test_an_expired_link_is_400_on_token(api_client, user, settings, monkeypatch):
    parts = link_parts(user)
    settings.PASSWORD_RESET_TIMEOUT = 60
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr(
        "django.contrib.auth.tokens.PasswordResetTokenGenerator._now", lambda self: later.replace(tzinfo=None)
    )
    response = confirm(api_client, parts)
    assert response.status_code == 400
    assert list(response.json()) == ["token"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda parts: {**parts, "token": parts["token"][:-1] + ("0" if parts["token"][-1] != "0" else "1")},
        lambda parts: {**parts, "uid": "bm90LWFuLWlk"},  # "not-an-id"
        lambda parts: {**parts, "uid": "!!!"},
    ],
    ids=["wrong token", "unknown uid", "malformed uid"],
)
def test_a_wrong_token_or_uid_is_400_on_token_and_changes_nothing(api_client, user, tamper):
    response = confirm(api_client, tamper(link_parts(user)))
    assert response.status_code == 400
    assert list(response.json()) == ["token"]
    assert User.objects.get(pk=user.pk).check_password(DEFAULT_PASSWORD)


def test_another_users_token_does_not_work_for_this_uid(api_client, user):
    other = UserFactory()
    parts = {"uid": link_parts(user)["uid"], "token": link_parts(other)["token"]}
    assert confirm(api_client, parts).status_code == 400


def test_the_password_validators_apply_and_the_link_stays_usable(api_client, user):
    parts = link_parts(user)
    weak = confirm(api_client, parts, password="123")
    assert weak.status_code == 400
    assert list(weak.json()) == ["new_password"]
    assert confirm(api_client, parts).status_code == 204


def test_an_inactive_account_cannot_reset(api_client, user):
    parts = link_parts(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert confirm(api_client, parts).status_code == 400


def test_wrong_tokens_count_as_failed_logins_and_lock_out_like_them(api_client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    bad = {**link_parts(user), "token": "1-wrong"}
    assert [confirm(api_client, bad).status_code for _ in range(3)] == [400] * 3
    # Locked: even a good link is refused now, and so is the right password at the token endpoint.
    refused = confirm(api_client, link_parts(user))
    assert refused.status_code == 429 and "Retry-After" in refused
    assert login(api_client, user.email, DEFAULT_PASSWORD, address="10.0.0.5").status_code == 429
    # Another address is not locked out.
    assert confirm(api_client, link_parts(user), address="10.0.0.6").status_code == 204


@pytest.mark.parametrize("field", ["uid", "token", "new_password"])
def test_each_field_is_required(api_client, user, field):
    body = {**link_parts(user), "new_password": STRONG_PASSWORD}
    del body[field]
    response = api_client.post(CONFIRM, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_unknown_fields_are_400(api_client, user):
    response = api_client.post(
        CONFIRM, {**link_parts(user), "new_password": STRONG_PASSWORD, "email": "x"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["email"]


def test_the_browsable_form_starts_from_the_links_uid_and_token(api_client, user):
    parts = link_parts(user)
    page = api_client.get(CONFIRM, {"uid": parts["uid"], "token": parts["token"]}, HTTP_ACCEPT="text/html")
    assert parts["token"] in page.content.decode()


# --- The request: the mail ------------------------------------------------------------------

RESET = "/api/v1/auth/password-reset/"


def request_reset(client, email, address="10.0.0.9"):
    return client.post(RESET, {"email": email}, format="json", REMOTE_ADDR=address)


def test_a_request_mails_a_working_link_and_answers_202(
    api_client, user, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_URL = "https://shop.example/reset?uid={uid}&token={token}"
    with django_capture_on_commit_callbacks(execute=True):
        response = request_reset(api_client, user.email.upper())
    assert response.status_code == 202
    assert response.json() == {"detail": services.RESET_LINK_SENT_MESSAGE}
    (message,) = mail.outbox
    assert message.to == [user.email]
    link = next(word for word in message.body.split() if word.startswith("https://shop.example/reset?"))
    query = parse_qs(urlsplit(link).query)
    assert confirm(api_client, {"uid": query["uid"][0], "token": query["token"][0]}).status_code == 204
    assert "60 minutes" in message.body


def test_an_unknown_or_inactive_address_gets_the_same_answer_and_no_mail(api_client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    for email in ("nobody@example.com", user.email):
        response = request_reset(api_client, email)
        assert response.status_code == 202
        assert response.json() == {"detail": services.RESET_LINK_SENT_MESSAGE}
    assert not OutboxEmail.objects.exists()


def test_requests_are_throttled_per_email_and_per_address(api_client, user, settings):
    settings.PASSWORD_RESET_LIMIT = 2
    assert [request_reset(api_client, user.email).status_code for _ in range(2)] == [202, 202]
    refused = request_reset(api_client, user.email, address="10.0.0.10")  # another address, same email
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["code"] == "password_reset_throttled"
    assert OutboxEmail.objects.count() == 2
    # One address asking for many emails: ten times the limit, known or not.
    answers = [
        request_reset(api_client, f"someone{n}@example.com", address="10.0.0.11").status_code
        for n in range(21)
    ]
    assert answers == [202] * 20 + [429]


def test_a_bad_email_is_400(api_client):
    assert list(request_reset(api_client, "not an email").json()) == ["email"]
    assert list(api_client.post(RESET, {}, format="json").json()) == ["email"]
