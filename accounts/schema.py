"""OpenAPI description of the accounts API: the bearer scheme, summaries, plain descriptions, examples.

``ShopJWTScheme`` describes the shop's bearer authentication (registered when the
app is ready, ``accounts.apps``).

The examples follow one customer through the API: register Ann with a password the
validators accept, log in with the same email and password, read and change the
account. Tried in that order in Swagger UI they succeed on a fresh shop (the token
refresh and logout examples need the tokens the login returned instead of the
placeholders shown).
"""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from accounts.serializers import (
    AddressInputSerializer,
    AddressSerializer,
    DetailSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    ProfileSerializer,
    ProfileUpdateInputSerializer,
    RefreshInputSerializer,
    RegisteredUserSerializer,
    RegisterInputSerializer,
    TokenObtainInputSerializer,
    TokenPairSerializer,
)
from accounts.services import RESET_LINK_SENT_MESSAGE
from shop.api.schema import error_responses
from shop.api.serializers import EmptyInputSerializer


class ShopJWTScheme(SimpleJWTScheme):
    """Describe ShopJWTAuthentication as simplejwt's ``Bearer`` JWT scheme (``bearerAuth``)."""

    target_class = "accounts.authentication.ShopJWTAuthentication"
    # The conventional name; Swagger UI's "Authorize" asks for the access token under it.
    name = "bearerAuth"


EXAMPLE_USER_ID = "65277a812b73bb530ad77307"
EXAMPLE_EMAIL = "ann@example.com"
EXAMPLE_PASSWORD = "correct-Horse-battery-2026"  # noqa: S105 - a documented example, never a default
EXAMPLE_NEW_PASSWORD = "another-Horse-battery-2027"  # noqa: S105
# The shape of the shop's tokens (HS256 JWTs); placeholders, not valid tokens.
EXAMPLE_ACCESS = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwidXNlcl9pZCI6IjY1Mjc3YTgx"
    "MmI3M2JiNTMwYWQ3NzMwNyJ9.9Qn5N0dMbF0a6bJ0f7dJmT2mXoYf9VbZq0y8qWm1h3s"
)
EXAMPLE_REFRESH = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQiOiI2NTI3N2E4"
    "MTJiNzNiYjUzMGFkNzczMDcifQ.o3x7kCqzvS1v9GfRk1D8yWcPq2eT5uLh0aNbZjYi4Xw"
)

REGISTERED_EXAMPLE = {"id": EXAMPLE_USER_ID, "email": EXAMPLE_EMAIL, "first_name": "Ann", "last_name": "Lee"}
PROFILE_EXAMPLE = {
    **REGISTERED_EXAMPLE,
    "date_joined": "2026-11-29T14:01:12.331000Z",
    "is_staff": False,
}
TOKEN_PAIR_EXAMPLE = OpenApiExample(
    "A pair of tokens", value={"access": EXAMPLE_ACCESS, "refresh": EXAMPLE_REFRESH}, response_only=True
)
REFRESH_REQUEST_EXAMPLE = OpenApiExample(
    "The refresh token of the login", value={"refresh": EXAMPLE_REFRESH}, request_only=True
)

REGISTER = extend_schema(
    summary="Register",
    description=(
        "Create a customer account. The email is the login name (stored in lower case; one "
        "account per address in any case), and the password must pass the password rules: at "
        "least 8 characters, not too common, not all digits, not too close to the email or names."
    ),
    request=RegisterInputSerializer,
    responses={201: RegisteredUserSerializer},
    examples=[
        OpenApiExample(
            "Ann registers",
            value={
                "email": EXAMPLE_EMAIL,
                "password": EXAMPLE_PASSWORD,
                "first_name": "Ann",
                "last_name": "Lee",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Ann's new account", value=REGISTERED_EXAMPLE, response_only=True, status_codes=["201"]
        ),
    ],
)

TOKEN_OBTAIN = extend_schema(
    summary="Log in: get a token pair",
    description=(
        "Trade an email and password for an access token (valid 15 minutes; send it as "
        "`Authorization: Bearer <access>`) and a refresh token (valid 7 days; trade it for a new "
        "pair at auth/token/refresh). A wrong email and a wrong password get the same 401. After "
        "too many failures the answer is 429 with `Retry-After`, even with the right password."
    ),
    request=TokenObtainInputSerializer,
    responses={
        200: TokenPairSerializer,
        **error_responses(
            401,
            429,
            s401="Wrong email or password (`invalid_credentials`), one message for both.",
            s429="Too many failed logins for this address or email (`login_throttled`).",
        ),
    },
    examples=[
        OpenApiExample(
            "Ann logs in", value={"email": EXAMPLE_EMAIL, "password": EXAMPLE_PASSWORD}, request_only=True
        ),
        TOKEN_PAIR_EXAMPLE,
    ],
)

TOKEN_REFRESH = extend_schema(
    summary="Refresh: trade a refresh token for a new pair",
    description=(
        "Send the refresh token to get a new access token and a new refresh token. The one sent "
        "is dead afterwards: using it again is 401."
    ),
    request=RefreshInputSerializer,
    responses={
        200: TokenPairSerializer,
        **error_responses(401, s401="Invalid, expired or already used (revoked) refresh token."),
    },
    examples=[REFRESH_REQUEST_EXAMPLE, TOKEN_PAIR_EXAMPLE],
)

LOGOUT = extend_schema(
    summary="Log out one session",
    description="Kill the refresh token sent, so it can no longer be refreshed. Other sessions stay.",
    request=RefreshInputSerializer,
    responses={204: OpenApiResponse(description="Logged out")},
    examples=[REFRESH_REQUEST_EXAMPLE],
)

LOGOUT_ALL = extend_schema(
    summary="Log out everywhere",
    description=(
        "Kill every access and refresh token of the account at once, and end its browser "
        "sessions. Send no body, or an empty object."
    ),
    request=EmptyInputSerializer,
    responses={204: OpenApiResponse(description="Every token revoked")},
    examples=[OpenApiExample("No body needed", value={}, request_only=True)],
)

PASSWORD_RESET = extend_schema(
    summary="Ask for a password reset link",
    description=(
        "Send the email of your account and we mail it a link to choose a new password "
        "(PASSWORD_RESET_URL with a uid and a token; it works once and expires after "
        "PASSWORD_RESET_TIMEOUT seconds, an hour by default). The answer is 202 whether or not "
        "the address has an account. A few requests per email and per client address an hour."
    ),
    request=PasswordResetInputSerializer,
    responses={
        202: DetailSerializer,
        **error_responses(429, s429="Too many reset requests (`password_reset_throttled`)."),
    },
    examples=[
        OpenApiExample("Ann forgot her password", value={"email": EXAMPLE_EMAIL}, request_only=True),
        OpenApiExample(
            "Accepted",
            value={"detail": RESET_LINK_SENT_MESSAGE},
            response_only=True,
            status_codes=["202"],
        ),
    ],
)

PASSWORD_RESET_CONFIRM = extend_schema(
    summary="Choose a new password with a reset link",
    description=(
        "Send the uid and token of the link we mailed and your new password (the password rules "
        "apply). Every token and session of the account dies; log in again. A wrong, used or "
        "expired token is 400 on token and counts as a failed login."
    ),
    request=PasswordResetConfirmInputSerializer,
    responses={
        204: OpenApiResponse(description="Password changed"),
        **error_responses(429, s429="Too many failed attempts on this account (`login_throttled`)."),
    },
    examples=[
        OpenApiExample(
            "The link's uid and token",
            value={
                "uid": "MTc",
                "token": "cz4bxr-8e1f0c9a2b3d4e5f60718293a4b5c6d7",
                "new_password": EXAMPLE_NEW_PASSWORD,
            },
            request_only=True,
        )
    ],
)

ME_RETRIEVE = extend_schema(
    summary="Get your account",
    description="The account the token (or the browser session) belongs to.",
    responses={200: ProfileSerializer},
    examples=[OpenApiExample("Ann's account", value=PROFILE_EXAMPLE, response_only=True)],
)

ME_UPDATE = extend_schema(
    summary="Change your names",
    description="Change your first or last name, or both; the email cannot change.",
    request=ProfileUpdateInputSerializer,
    responses={200: ProfileSerializer},
    examples=[
        OpenApiExample("A new last name", value={"last_name": "Lee-Smith"}, request_only=True),
        OpenApiExample(
            "Ann's account changed", value={**PROFILE_EXAMPLE, "last_name": "Lee-Smith"}, response_only=True
        ),
    ],
)

ME_DELETE = extend_schema(
    summary="Close your account",
    description=(
        "Close the account for good: every token and session dies, open orders are cancelled "
        "(their stock goes back), your personal data is deleted, and the shop keeps the orders "
        "for its books without your name. The email can register again."
    ),
    responses={204: OpenApiResponse(description="Account closed")},
)

PASSWORD_CHANGE = extend_schema(
    summary="Change your password",
    description=(
        "Check the current password and set a new one (the password rules apply). Every token "
        "and session of the account dies: log in again with the new password. A wrong current "
        "password counts as a failed login."
    ),
    request=PasswordChangeInputSerializer,
    responses={
        204: OpenApiResponse(description="Password changed"),
        **error_responses(429, s429="Too many wrong current passwords (`login_throttled`)."),
    },
    examples=[
        OpenApiExample(
            "A new password",
            value={"current_password": EXAMPLE_PASSWORD, "new_password": EXAMPLE_NEW_PASSWORD},
            request_only=True,
        )
    ],
)

# --- Addresses ---------------------------------------------------------------------------

EXAMPLE_ADDRESS_ID = "65277a812b73bb530ad77401"
ADDRESS_FIELDS_EXAMPLE = {
    "full_name": "Ann Lee",
    "line1": "1 Market Street",
    "line2": "Suite 200",
    "city": "San Francisco",
    "postal_code": "94105",
    "region": "CA",
    "country": "US",
    "phone": "+14155552671",
}
ADDRESS_EXAMPLE = {"id": EXAMPLE_ADDRESS_ID, **ADDRESS_FIELDS_EXAMPLE, "is_default": True}

ADDRESS_LIST = extend_schema(
    summary="List your saved addresses",
    description=(
        "Your saved addresses, oldest first, as a plain list (a customer keeps at most "
        "ADDRESSES_PER_CUSTOMER, 20 by default). The default one has is_default true."
    ),
    responses={200: AddressSerializer(many=True)},
    # drf-spectacular wraps a list operation's example in the array itself.
    examples=[OpenApiExample("Ann's addresses", value=ADDRESS_EXAMPLE, response_only=True)],
)
ADDRESS_CREATE = extend_schema(
    summary="Save an address",
    description=(
        "Save an address to ship orders to. country is an ISO 3166-1 alpha-2 code; phone is "
        "optional and stored in E.164 form; line2 and region may be empty. Your first address "
        "becomes the default; send is_default true to make a later one the default."
    ),
    request=AddressInputSerializer,
    responses={
        201: AddressSerializer,
        **error_responses(409, s409="You already keep the most addresses allowed (`address_limit_reached`)."),
    },
    examples=[
        OpenApiExample("Ann's office", value=ADDRESS_FIELDS_EXAMPLE, request_only=True),
        OpenApiExample("The saved address", value=ADDRESS_EXAMPLE, response_only=True),
    ],
)
ADDRESS_RETRIEVE = extend_schema(
    summary="Get a saved address",
    description="One of your saved addresses (someone else's is 404).",
    responses={200: AddressSerializer},
    examples=[OpenApiExample("Ann's office", value=ADDRESS_EXAMPLE, response_only=True)],
)
ADDRESS_UPDATE = extend_schema(
    summary="Change a saved address",
    description=(
        "Change the fields sent; the others stay. Orders already placed keep the address they "
        "were placed with. is_default true makes this the default address."
    ),
    request=AddressInputSerializer,
    responses={200: AddressSerializer},
    examples=[
        OpenApiExample("A new suite", value={"line2": "Suite 300"}, request_only=True),
        OpenApiExample(
            "The changed address", value={**ADDRESS_EXAMPLE, "line2": "Suite 300"}, response_only=True
        ),
    ],
)
ADDRESS_DELETE = extend_schema(
    summary="Delete a saved address",
    description="Delete the address; orders placed with it keep their copy.",
    responses={204: OpenApiResponse(description="Address deleted")},
)
