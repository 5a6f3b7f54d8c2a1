"""Registration, the caller's account (GET/PATCH/DELETE me) and password change, through HTTP."""

import pytest
from django.test import override_settings

import shop.settings as production_settings
from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import ME, PASSWORD, REGISTER, STRONG_PASSWORD, bearer, login

pytestmark = pytest.mark.django_db


def register(client, **overrides):
    body = {
        "email": "Ann.Smith@Example.COM",
        "password": STRONG_PASSWORD,
        "first_name": "Ann",
        "last_name": "Smith",
    }
    body.update(overrides)
    return client.post(REGISTER, body)


class TestRegister:
    def test_register_creates_a_customer_and_answers_201_with_the_contract_fields(self, api_client):
        response = register(api_client)
        assert response.status_code == 201, response.data
        user = User.objects.get()
        assert response.json() == {
            "id": str(user.pk),
            "email": "ann.smith@example.com",
            "first_name": "Ann",
            "last_name": "Smith",
        }
        assert not user.is_staff
        assert user.check_password(STRONG_PASSWORD)

    def test_the_whole_email_is_stored_lower_cased(self, api_client):
        register(api_client, email="MiXeD.Case@EXAMPLE.org")
        assert User.objects.get().email == "mixed.case@example.org"

    def test_the_same_address_in_another_case_is_400_on_email(self, api_client):
        assert register(api_client).status_code == 201
        response = register(api_client, email="ANN.SMITH@example.com")
        assert response.status_code == 400
        assert "email" in response.json()
        assert User.objects.count() == 1

    def test_names_are_optional(self, api_client):
        response = api_client.post(REGISTER, {"email": "x@example.com", "password": STRONG_PASSWORD})
        assert response.status_code == 201
        assert response.json()["first_name"] == ""

    @pytest.mark.parametrize(
        "password",
        ["09876", "password123", "short1A", "ann.smith@example.com"],
        ids=["numeric-and-short", "common", "too-short", "like-the-email"],
    )
    def test_weak_passwords_are_refused_on_password(self, api_client, password):
        response = register(api_client, password=password)
        assert response.status_code == 400
        assert list(response.json()) == ["password"]
        assert not User.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("email", "not-an-email"),
            ("email", "a" * 250 + "@example.com"),
            ("email", 5),
            ("email", None),
            ("password", "x" * 129),
            ("password", 123456789012),
            ("password", ""),
            ("first_name", "n" * 151),
            ("first_name", ["Ann"]),
            ("last_name", {"a": 1}),
            ("last_name", "nul\x00byte"),
        ],
    )
    def test_bad_values_are_400_naming_the_field(self, api_client, field, value):
        response = register(api_client, **{field: value})
        assert response.status_code == 400
        assert field in response.json()
        assert not User.objects.exists()

    @pytest.mark.parametrize("missing", ["email", "password"])
    def test_missing_required_fields_are_400(self, api_client, missing):
        body = {"email": "x@example.com", "password": STRONG_PASSWORD}
        del body[missing]
        response = api_client.post(REGISTER, body)
        assert response.status_code == 400
        assert missing in response.json()

    @pytest.mark.parametrize("extra", ["is_staff", "is_superuser", "id", "token_version", "nickname"])
    def test_unknown_and_server_owned_fields_are_400_naming_them(self, api_client, extra):
        response = register(api_client, **{extra: True})
        assert response.status_code == 400
        assert list(response.json()) == [extra]
        assert not User.objects.exists()

    def test_malformed_json_is_400_with_a_code(self, api_client):
        response = api_client.post(REGISTER, data='{"email": ', content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"

    def test_a_json_array_body_is_400(self, api_client):
        response = api_client.post(REGISTER, data="[]", content_type="application/json")
        assert response.status_code == 400

    def test_registration_ignores_a_stale_bearer_header(self, api_client):
        api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
        assert register(api_client).status_code == 201


class TestArgon2id:
    @override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS)
    def test_registration_stores_an_argon2id_hash_at_owasp_minimum_cost(self, api_client):
        assert production_settings.PASSWORD_HASHERS[0] == "accounts.hashers.ShopArgon2PasswordHasher"
        assert register(api_client).status_code == 201
        encoded = User.objects.get().password
        # argon2$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
        algorithm, variant, version, params, _salt, _hash = encoded.split("$")
        assert (algorithm, variant, version) == ("argon2", "argon2id", "v=19")
        assert params == "m=19456,t=2,p=1"
        assert login(api_client, "ann.smith@example.com", STRONG_PASSWORD).status_code == 200


class TestMe:
    def test_get_returns_the_callers_account(self, user, customer_client):
        response = customer_client.get(ME)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id", "email", "first_name", "last_name", "date_joined", "is_staff"}
        assert body["id"] == str(user.pk)
        assert body["email"] == user.email
        assert body["is_staff"] is False
        assert body["date_joined"].endswith("Z")

    def test_anonymous_is_401_with_www_authenticate_bearer(self, api_client):
        response = api_client.get(ME)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["code"] == "not_authenticated"

    def test_patch_changes_only_the_names_given(self, user, customer_client):
        response = customer_client.patch(ME, {"first_name": "Zoe"})
        assert response.status_code == 200
        assert response.json()["first_name"] == "Zoe"
        user.refresh_from_db()
        assert (user.first_name, user.last_name) == ("Zoe", user.last_name)

    @pytest.mark.parametrize(
        "body",
        [{"email": "new@example.com"}, {"is_staff": True}, {"first_name": "x" * 151}, {"last_name": None}],
    )
    def test_patch_refuses_other_fields_and_bad_values(self, user, customer_client, body):
        response = customer_client.patch(ME, body)
        assert response.status_code == 400
        assert list(response.json()) == list(body)
        user.refresh_from_db()
        assert not user.is_staff
        assert user.email.startswith("customer")

    def test_delete_removes_the_account_and_its_personal_data(self, user, customer_client):
        email = user.email
        assert customer_client.delete(ME).status_code == 204
        assert not User.objects.filter(pk=user.pk).exists()
        assert not User.objects.filter(email=email).exists()

    def test_after_deletion_every_token_is_dead_and_login_fails(self, user, api_client):
        tokens = login(api_client, user.email).json()
        assert bearer(tokens["access"]).delete(ME).status_code == 204
        assert bearer(tokens["access"]).get(ME).status_code == 401
        response = api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]})
        assert response.status_code == 401
        assert response.json()["code"] == "user_not_found"
        assert login(api_client, user.email).status_code == 401

    def test_the_email_can_register_again_after_deletion(self, user, customer_client, api_client):
        assert customer_client.delete(ME).status_code == 204
        response = api_client.post(REGISTER, {"email": user.email.upper(), "password": STRONG_PASSWORD})
        assert response.status_code == 201
        assert response.json()["id"] != str(user.pk)


class TestPasswordChange:
    def test_change_sets_the_new_password_and_kills_every_token(self, user, api_client):
        tokens = login(api_client, user.email).json()
        client = bearer(tokens["access"])
        response = client.post(
            PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD}
        )
        assert response.status_code == 204
        assert client.get(ME).status_code == 401
        assert (
            api_client.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}).status_code == 401
        )
        assert login(api_client, user.email).status_code == 401
        assert login(api_client, user.email, STRONG_PASSWORD).status_code == 200

    def test_a_wrong_current_password_is_400_and_changes_nothing(self, user, customer_client):
        response = customer_client.post(
            PASSWORD, {"current_password": "wrong-one", "new_password": STRONG_PASSWORD}
        )
        assert response.status_code == 400
        assert list(response.json()) == ["current_password"]
        user.refresh_from_db()
        assert user.check_password(DEFAULT_PASSWORD)
        assert customer_client.get(ME).status_code == 200

    def test_a_weak_new_password_is_400_on_new_password(self, user, customer_client):
        response = customer_client.post(
            PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": "12345678"}
        )
        assert response.status_code == 400
        assert list(response.json()) == ["new_password"]
        user.refresh_from_db()
        assert user.check_password(DEFAULT_PASSWORD)

    @pytest.mark.parametrize(
        "body",
        [
            {"current_password": DEFAULT_PASSWORD},
            {"new_password": STRONG_PASSWORD},
            {"current_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD, "email": "a@b.c"},
            {"current_password": DEFAULT_PASSWORD, "new_password": 12},
        ],
    )
    def test_bad_bodies_are_400(self, user, customer_client, body):
        assert customer_client.post(PASSWORD, body).status_code == 400
        user.refresh_from_db()
        assert user.check_password(DEFAULT_PASSWORD)

    def test_wrong_current_passwords_count_as_failed_logins(self, user, customer_client, settings):
        settings.LOGIN_FAILURE_LIMIT = 2
        body = {"current_password": "wrong-one", "new_password": STRONG_PASSWORD}
        assert customer_client.post(PASSWORD, body, REMOTE_ADDR="10.9.9.9").status_code == 400
        assert customer_client.post(PASSWORD, body, REMOTE_ADDR="10.9.9.9").status_code == 400
        right = {"current_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD}
        response = customer_client.post(PASSWORD, right, REMOTE_ADDR="10.9.9.9")
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0

    def test_requires_authentication(self, api_client):
        body = {"current_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD}
        assert api_client.post(PASSWORD, body).status_code == 401


def test_factory_users_log_in_with_the_default_password(api_client):
    user = UserFactory()
    assert login(api_client, user.email).status_code == 200
