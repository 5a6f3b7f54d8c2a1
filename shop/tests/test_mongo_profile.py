"""The MongoDB settings profile really switches, and queries compile to pipelines.

These run in ``make test``'s MongoDB contract pass: ``MONGODB_URI`` points at a host
where no server listens, so any accidental network access fails loudly.
"""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django_mongodb_backend.fields import ObjectIdAutoField

from accounts.models import User
from shop.testing.mongo import assert_index_friendly, compile_pipeline, record_writes, stages

pytestmark = pytest.mark.mongo


def test_engine_and_default_auto_field_are_mongodb():
    assert connection.vendor == "mongodb"
    assert settings.DATABASES["default"]["ENGINE"] == "shop.mongodb"
    assert settings.DEFAULT_AUTO_FIELD == "django_mongodb_backend.fields.ObjectIdAutoField"


@pytest.mark.parametrize("label", ["admin", "auth", "contenttypes", "accounts", "catalog", "orders"])
def test_every_model_has_an_objectid_primary_key(label):
    for model in apps.get_app_config(label).get_models():
        if model._meta.label == "accounts.UserSession":
            continue  # keyed by its session key, as every Django session model is
        assert isinstance(model._meta.pk, ObjectIdAutoField), model


def test_contrib_apps_use_mongodb_app_configs():
    assert apps.get_app_config("auth").__class__.__name__ == "MongoAuthConfig"
    assert apps.get_app_config("admin").__class__.__name__ == "MongoAdminConfig"
    assert apps.get_app_config("contenttypes").__class__.__name__ == "MongoContentTypesConfig"


def test_login_lookup_compiles_to_an_indexed_match_on_the_normalised_email():
    pipeline = compile_pipeline(User.objects.filter(email="ann@example.com"))
    assert pipeline[0] == {"$match": {"email": "ann@example.com"}}
    assert_index_friendly(pipeline)


def test_user_by_id_compiles_to_match_on_objectid():
    pipeline = compile_pipeline(User.objects.filter(pk="65277a812b73bb530ad77307"))
    assert_index_friendly(pipeline)
    assert str(pipeline[0]["$match"]["_id"]) == "65277a812b73bb530ad77307"


def test_staff_user_list_compiles_with_sort():
    pipeline = compile_pipeline(User.objects.filter(is_staff=True).order_by("email"))
    assert stages(pipeline)[0] == "$match"
    assert stages(pipeline)[:2] == ["$match", "$sort"]
    assert_index_friendly(pipeline)


def test_token_version_bump_is_one_conditional_update():
    from django.db.models import F

    with record_writes() as writes:
        User.objects.filter(pk="65277a812b73bb530ad77307").update(token_version=F("token_version") + 1)
    assert [(w.collection, w.method) for w in writes] == [("accounts_user", "update_many")]
    criteria, update = writes[0].args
    assert str(criteria["_id"]) == "65277a812b73bb530ad77307"
    assert "$add" in str(update)


def test_exactly_ignoring_case_escapes_regex_characters_for_mongodb():
    from accounts.models import User
    from shop.db import exactly_ignoring_case

    pipeline = compile_pipeline(User.objects.filter(exactly_ignoring_case("email", "a.b+c@example.com")))
    match = str(pipeline[0]["$match"])
    assert r"a\\.b\\+c@example\\.com" in match
    assert_index_friendly(pipeline)
