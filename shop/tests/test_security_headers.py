"""The shop's CSP middleware gives every response the headers django-csp's own would give it."""

import pytest
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.http import HttpResponse, JsonResponse
from django.test import Client, RequestFactory, override_settings

from shop.security_headers import SettingsPolicyCSPMiddleware, settings_policies

POLICY_HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-reports/"}}


def plain(request, response):
    """Change nothing: the settings' policy."""


def nonce_used(request, response):
    """A template asked for the nonce, as the documentation pages do."""
    str(request.csp_nonce)


def updated(request, response):
    response._csp_update = {"img-src": ["https://images.example.com"]}


def replaced(request, response):
    response._csp_replace = {"script-src": ["https://scripts.example.com"]}


def configured(request, response):
    response._csp_config = {"default-src": ["'none'"]}


def exempt(request, response):
    response._csp_exempt = True


def exempt_report_only(request, response):
    response._csp_exempt_ro = True


def header_already_set(request, response):
    response["Content-Security-Policy"] = "default-src 'none'"


CHANGES = [plain, nonce_used, updated, replaced, configured, exempt, exempt_report_only, header_already_set]


def headers_after(middleware_class, change, *, status=200, path="/api/v1/products/"):
    """Return the policy headers ``middleware_class`` gives a response that ``change`` prepared."""
    middleware = middleware_class(lambda request: HttpResponse())
    request = RequestFactory().get(path)
    middleware.process_request(request)
    response = JsonResponse({"ok": True}, status=status)
    change(request, response)
    middleware.process_response(request, response)
    nonce = getattr(request, "_csp_nonce", None)
    headers = {name: response.get(name) for name in POLICY_HEADERS}
    # The same nonce on both sides, so that the headers compare equal.
    return {
        name: value.replace(nonce, "<nonce>") if value and nonce else value for name, value in headers.items()
    }


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
def test_headers_are_django_csps(change):
    assert headers_after(SettingsPolicyCSPMiddleware, change) == headers_after(CSPMiddleware, change)


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__)
@override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=REPORT_ONLY)
def test_a_report_only_policy_from_the_settings_is_django_csps(change):
    ours = headers_after(SettingsPolicyCSPMiddleware, change)
    assert ours == headers_after(CSPMiddleware, change)
    if change in (plain, header_already_set):
        assert "report-uri /csp-reports/" in ours["Content-Security-Policy-Report-Only"]


@pytest.mark.parametrize("status", [404, 500])
@override_settings(DEBUG=True)
def test_debug_pages_get_no_policy_as_with_django_csp(status):
    assert headers_after(SettingsPolicyCSPMiddleware, plain, status=status) == dict.fromkeys(POLICY_HEADERS)
    assert headers_after(CSPMiddleware, plain, status=status) == dict.fromkeys(POLICY_HEADERS)


def test_excluded_prefixes_are_left_to_django_csp(settings):
    policy = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/api/"]}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        assert settings_policies() is None
        for path in ("/api/v1/products/", "/admin/login/"):
            ours = headers_after(SettingsPolicyCSPMiddleware, plain, path=path)
            assert ours == headers_after(CSPMiddleware, plain, path=path)
        assert ours["Content-Security-Policy"] is not None


def test_a_changed_setting_changes_the_header():
    before = headers_after(SettingsPolicyCSPMiddleware, plain)["Content-Security-Policy"]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert (
            headers_after(SettingsPolicyCSPMiddleware, plain)["Content-Security-Policy"]
            == "default-src 'none'"
        )
    assert headers_after(SettingsPolicyCSPMiddleware, plain)["Content-Security-Policy"] == before


def test_a_nonce_asked_for_after_the_header_was_written_is_an_error():
    middleware = SettingsPolicyCSPMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/api/v1/products/")
    middleware.process_request(request)
    middleware.process_response(request, HttpResponse())
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


@pytest.mark.django_db
def test_json_answers_carry_the_settings_policy_through_http():
    response = Client().get("/api/v1/products/")
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == settings_policies()[0][1]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "nonce-" not in response["Content-Security-Policy"]
