"""Login, token lifetimes, rotation, revocation and bad tokens, through HTTP."""

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import LoginFailureCounter, RevokedToken, User
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tests.helpers import LOGOUT, LOGOUT_ALL, ME, REFRESH, b64, bearer, claims, forged_pair, login
from accounts.tokens import TOKEN_VERSION_CLAIM, ShopRefreshToken

pytestmark = pytest.mark.django_db


def assert_401(response, code=None):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body.get("code"), body
    if code:
        assert body["code"] == code, body


class TestLogin:
    def test_email_and_password_give_an_access_and_a_refresh_token(self, user, api_client):
        response = login(api_client, user.email)
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access", "refresh"}
        assert bearer(body["access"]).get(ME).json()["email"] == user.email

    def test_the_email_matches_in_any_case(self, user, api_client):
        assert login(api_client, user.email.upper()).status_code == 200

    def test_access_lives_exactly_15_minutes_and_refresh_7_days(self, user, api_client):
        body = login(api_client, user.email).json()
        access, refresh = claims(body["access"]), claims(body["refresh"])
        assert access["exp"] - access["iat"] == 900
        assert refresh["exp"] - refresh["iat"] == 7 * 24 * 3600
        assert access["token_type"] == "access"
        assert refresh["token_type"] == "refresh"
        assert access[TOKEN_VERSION_CLAIM] == refresh[TOKEN_VERSION_CLAIM] == user.token_version
        assert access["user_id"] == str(user.pk)

    def test_lifetimes_come_from_settings(self):
        assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds() == 900
        assert settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].days == 7

    def test_wrong_email_and_wrong_password_get_the_same_401(self, user, api_client):
        wrong_password = login(api_client, user.email, "not-the-password")
        wrong_email = login(api_client, "nobody@example.com", DEFAULT_PASSWORD)
        assert_401(wrong_password, "invalid_credentials")
        assert_401(wrong_email, "invalid_credentials")
        assert wrong_password.json() == wrong_email.json()

    def test_an_inactive_user_cannot_log_in(self, api_client):
        user = UserFactory(is_active=False)
        assert_401(login(api_client, user.email), "invalid_credentials")

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"email": "a@example.com"},
            {"password": "x"},
            {"email": "a@example.com", "password": "x", "remember": True},
            {"email": 1, "password": "x"},
            {"email": "a@example.com", "password": ["x"]},
            {"email": "a@example.com", "password": "x" * 129},
            {"username": "a", "password": "x"},
        ],
    )
    def test_bad_bodies_are_400_and_do_not_count_as_failures(self, api_client, body):
        response = api_client.post("/api/v1/auth/token/", body)
        assert response.status_code == 400
        assert not LoginFailureCounter.objects.exists()

    def test_malformed_json_is_400_with_a_code(self, api_client):
        response = api_client.post("/api/v1/auth/token/", data="{email:", content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "parse_error"


class TestAccessTokens:
    def test_an_access_token_within_its_15_minutes_is_accepted(self, user):
        access, _ = forged_pair(user, issued_ago=890)
        assert bearer(access).get(ME).status_code == 200

    def test_an_expired_access_token_is_401(self, user):
        access, _ = forged_pair(user, issued_ago=901)
        assert_401(bearer(access).get(ME), "token_not_valid")

    def test_a_tampered_token_is_401(self, user, api_client):
        access = login(api_client, user.email).json()["access"]
        header, payload, signature = access.split(".")
        forged_payload = b64({**claims(access), "user_id": str(UserFactory(is_staff=True).pk)})
        assert_401(bearer(f"{header}.{forged_payload}.{signature}").get(ME), "token_not_valid")
        flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
        assert_401(bearer(f"{header}.{payload}.{flipped}").get(ME), "token_not_valid")

    def test_an_alg_none_token_is_401(self, user, api_client):
        real = claims(login(api_client, user.email).json()["access"])
        unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(real)}."
        assert_401(bearer(unsigned).get(ME), "token_not_valid")

    def test_a_token_signed_with_another_key_is_401(self, user, api_client):
        real = claims(login(api_client, user.email).json()["access"])
        foreign = jwt.encode(real, "another-key-" + "x" * 40, algorithm="HS256")
        assert_401(bearer(foreign).get(ME), "token_not_valid")

    @pytest.mark.parametrize(
        "header", ["Bearer", "Bearer abc", "Bearer a.b.c", "Bearer x y", "Bearer \u00e9\u00e9"]
    )
    def test_malformed_bearer_headers_are_401(self, header, db):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(ME)
        assert_401(response)

    def test_a_refresh_token_is_not_an_access_token(self, user, api_client):
        refresh = login(api_client, user.email).json()["refresh"]
        assert_401(bearer(refresh).get(ME), "token_not_valid")

    def test_a_token_without_the_version_claim_is_401(self, user):
        refresh = ShopRefreshToken.for_user(user)
        access = refresh.access_token
        del access[TOKEN_VERSION_CLAIM]
        assert_401(bearer(str(access)).get(ME), "token_revoked")

    def test_a_token_of_a_deleted_user_is_401(self, user, api_client):
        access = login(api_client, user.email).json()["access"]
        User.objects.filter(pk=user.pk).delete()
        assert_401(bearer(access).get(ME), "user_not_found")


class TestRefresh:
    def test_refresh_rotates_the_pair(self, user, api_client):
        first = login(api_client, user.email).json()
        response = api_client.post(REFRESH, {"refresh": first["refresh"]})
        assert response.status_code == 200
        second = response.json()
        assert set(second) == {"access", "refresh"}
        assert second["refresh"] != first["refresh"]
        assert claims(second["refresh"])["jti"] != claims(first["refresh"])["jti"]
        assert claims(second["access"])["exp"] - claims(second["access"])["iat"] == 900
        assert bearer(second["access"]).get(ME).status_code == 200
        assert api_client.post(REFRESH, {"refresh": second["refresh"]}).status_code == 200

    def test_a_used_refresh_token_is_dead(self, user, api_client):
        refresh = login(api_client, user.email).json()["refresh"]
        assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 200
        assert_401(api_client.post(REFRESH, {"refresh": refresh}), "token_revoked")
        assert RevokedToken.objects.filter(jti=claims(refresh)["jti"]).count() == 1

    def test_the_revocation_row_expires_with_the_token(self, user, api_client):
        refresh = login(api_client, user.email).json()["refresh"]
        api_client.post(REFRESH, {"refresh": refresh})
        row = RevokedToken.objects.get()
        assert int(row.expires_at.timestamp()) == claims(refresh)["exp"]

    def test_an_expired_refresh_token_is_401(self, user, api_client):
        _, refresh = forged_pair(user, issued_ago=7 * 24 * 3600 + 1)
        assert_401(api_client.post(REFRESH, {"refresh": refresh}), "token_not_valid")

    def test_a_refresh_token_within_its_7_days_works(self, user, api_client):
        _, refresh = forged_pair(user, issued_ago=7 * 24 * 3600 - 60)
        assert api_client.post(REFRESH, {"refresh": refresh}).status_code == 200

    def test_an_access_token_is_not_a_refresh_token(self, user, api_client):
        access = login(api_client, user.email).json()["access"]
        assert_401(api_client.post(REFRESH, {"refresh": access}), "token_not_valid")

    def test_a_refresh_token_of_a_deleted_user_is_401_not_500(self, user, api_client):
        refresh = login(api_client, user.email).json()["refresh"]
        User.objects.filter(pk=user.pk).delete()
        assert_401(api_client.post(REFRESH, {"refresh": refresh}), "user_not_found")

    def test_a_refresh_token_with_a_foreign_user_id_is_401_not_500(self, user, api_client):
        token = ShopRefreshToken.for_user(user)
        token["user_id"] = "65277a812b73bb530ad77307"
        assert_401(api_client.post(REFRESH, {"refresh": str(token)}), "user_not_found")

    def test_a_refresh_token_of_an_inactive_user_is_401(self, user, api_client):
        refresh = login(api_client, user.email).json()["refresh"]
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert_401(api_client.post(REFRESH, {"refresh": refresh}), "user_inactive")

    @pytest.mark.parametrize(
        "body",
        [
            {},
            {"refresh": ""},
            {"refresh": 5},
            {"refresh": None},
            {"refresh": "x" * 2049},
            {"refresh": "a", "b": 1},
        ],
    )
    def test_bad_bodies_are_400(self, api_client, body, db):
        assert api_client.post(REFRESH, body).status_code == 400

    @pytest.mark.parametrize(
        "token", ["garbage", "a.b.c", f"{b64({'alg': 'none'})}.{b64({'token_type': 'refresh'})}."]
    )
    def test_garbage_tokens_are_401(self, api_client, token, db):
        assert_401(api_client.post(REFRESH, {"refresh": token}), "token_not_valid")

    def test_a_token_without_expiry_is_401(self, user, api_client):
        token = ShopRefreshToken.for_user(user)
        payload = dict(token.payload)
        del payload["exp"]
        unexpiring = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
        assert_401(api_client.post(REFRESH, {"refresh": unexpiring}), "token_not_valid")


class TestLogout:
    def test_logout_kills_that_refresh_token_only(self, user, api_client):
        one = login(api_client, user.email).json()
        other = login(api_client, user.email).json()
        response = bearer(one["access"]).post(LOGOUT, {"refresh": one["refresh"]})
        assert response.status_code == 204
        assert_401(api_client.post(REFRESH, {"refresh": one["refresh"]}), "token_revoked")
        assert api_client.post(REFRESH, {"refresh": other["refresh"]}).status_code == 200

    def test_logging_out_twice_is_harmless(self, user, api_client):
        tokens = login(api_client, user.email).json()
        client = bearer(tokens["access"])
        assert client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 204
        assert client.post(LOGOUT, {"refresh": tokens["refresh"]}).status_code == 204
        assert RevokedToken.objects.count() == 1

    def test_a_refresh_token_of_someone_else_is_403_and_stays_alive(self, user, api_client):
        mine = login(api_client, user.email).json()
        someone = UserFactory()
        theirs = login(api_client, someone.email).json()
        response = bearer(mine["access"]).post(LOGOUT, {"refresh": theirs["refresh"]})
        assert response.status_code == 403
        assert response.json()["code"] == "token_not_owned"
        assert api_client.post(REFRESH, {"refresh": theirs["refresh"]}).status_code == 200

    def test_logout_needs_a_bearer_token(self, user, api_client):
        tokens = login(api_client, user.email).json()
        assert_401(api_client.post(LOGOUT, {"refresh": tokens["refresh"]}))

    def test_an_access_token_in_the_body_is_401(self, user, api_client):
        tokens = login(api_client, user.email).json()
        assert_401(bearer(tokens["access"]).post(LOGOUT, {"refresh": tokens["access"]}), "token_not_valid")

    def test_a_missing_refresh_is_400(self, customer_client):
        assert customer_client.post(LOGOUT, {}).status_code == 400


class TestLogoutAll:
    def test_logout_all_kills_live_access_and_refresh_tokens_at_once(self, user, api_client):
        phone = login(api_client, user.email).json()
        laptop = login(api_client, user.email).json()
        assert bearer(laptop["access"]).get(ME).status_code == 200
        assert bearer(phone["access"]).post(LOGOUT_ALL).status_code == 204
        for pair in (phone, laptop):
            assert_401(bearer(pair["access"]).get(ME), "token_revoked")
            assert_401(api_client.post(REFRESH, {"refresh": pair["refresh"]}), "token_revoked")
        user.refresh_from_db()
        assert user.token_version == 1
        assert user.tokens_valid_after is not None

    def test_a_new_login_works_after_logout_all(self, user, customer_client, api_client):
        assert customer_client.post(LOGOUT_ALL).status_code == 204
        tokens = login(api_client, user.email).json()
        assert bearer(tokens["access"]).get(ME).status_code == 200

    def test_a_body_is_refused(self, customer_client):
        assert customer_client.post(LOGOUT_ALL, {"everything": True}).status_code == 400

    def test_authentication_costs_one_query_with_revocation(self, user, django_assert_num_queries):
        client = bearer(login(APIClient(), user.email).json()["access"])
        with django_assert_num_queries(1):
            assert client.get(ME).status_code == 200


def test_tokens_issued_before_a_version_bump_stay_dead(user, api_client):
    access, refresh = forged_pair(user, issued_ago=10)
    assert bearer(access).post(LOGOUT_ALL).status_code == 204
    assert_401(bearer(access).get(ME), "token_revoked")
    assert_401(api_client.post(REFRESH, {"refresh": refresh}), "token_revoked")
