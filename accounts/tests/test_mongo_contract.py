"""The accounts endpoints' queries and conditional updates, compiled for django-mongodb-backend.

These run in ``make test``'s MongoDB contract pass (``MONGODB_URI`` points at a host
where nothing listens). Reads are compiled to aggregation pipelines with
``compile_pipeline``; writes run under ``record_writes``, which swaps the
connection's collections for a recorder so the exact pymongo call (filter and
update document) can be inspected without a server. The recorder only shows what
would be sent; behaviour is tested on SQLite (and on a real MongoDB when
``MONGODB_URI`` names one).
"""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from django.core.exceptions import ValidationError

from accounts import services, throttles
from accounts.models import LoginFailureCounter, LoginFailureScope, RevokedToken, User
from shop.testing.mongo import (
    assert_index_friendly,
    compile_pipeline,
    contains_operator,
    record_commands,
    record_writes,
    stage,
    stages,
)

pytestmark = pytest.mark.mongo

USER_ID = "65277a812b73bb530ad77307"
NOW = datetime(2026, 11, 29, 15, 20, 30, tzinfo=UTC)


def exists_query(queryset):
    """Return a queryset whose query is the one ``queryset.exists()`` sends."""
    probe = queryset.all()
    probe.query = queryset.query.exists()
    return probe


def test_login_user_lookup_by_normalised_email_is_an_indexed_match():
    email = services.normalize_email_address("Ann@Example.COM")
    pipeline = compile_pipeline(User.objects.filter(email=email)[:1])
    assert pipeline[0] == {"$match": {"email": "ann@example.com"}}
    assert stage(pipeline, "$limit") == 1
    assert_index_friendly(pipeline)


def test_registration_uniqueness_check_is_an_indexed_exists():
    pipeline = compile_pipeline(exists_query(User.objects.filter(email="ann@example.com")))
    assert pipeline[0] == {"$match": {"email": "ann@example.com"}}
    assert {"$limit": 1} in pipeline
    assert_index_friendly(pipeline)


def test_token_user_lookup_by_id_matches_the_objectid():
    pipeline = compile_pipeline(User.objects.filter(pk=USER_ID))
    assert pipeline[0] == {"$match": {"_id": ObjectId(USER_ID)}}
    assert_index_friendly(pipeline)


def test_a_malformed_user_id_fails_with_the_validation_error_the_services_catch():
    with pytest.raises(ValidationError):
        User.objects.filter(pk="not-an-objectid")


def test_revoked_token_lookup_is_an_indexed_exists_on_jti():
    pipeline = compile_pipeline(exists_query(RevokedToken.objects.filter(jti="0123abcd")))
    assert pipeline[0] == {"$match": {"jti": "0123abcd"}}
    assert_index_friendly(pipeline)


def test_failure_count_lookup_is_one_indexed_or_match_without_sort():
    keys = services.login_failure_keys(email="ann@example.com", client_address="10.0.0.1")
    with record_commands() as recorder:
        throttles.counts_read(keys=keys.values(), now=NOW, window=timedelta(minutes=15))
    ((_collection, pipeline),) = recorder.reads
    assert stages(pipeline) == ["$match", "$project"]
    assert contains_operator(pipeline[0], "$or")
    assert {"window_start": {"$gte": datetime(2026, 11, 29, 15, 6)}} in pipeline[0]["$match"]["$and"]
    assert_index_friendly(pipeline)


def test_failure_bump_is_one_conditional_increment_per_key():
    keys = services.login_failure_keys(email="ann@example.com", client_address="10.0.0.1")
    with record_writes() as writes:
        services.login_failure_record(keys=keys, now=NOW)
    assert [(w.collection, w.method) for w in writes] == [("accounts_loginfailurecounter", "update_many")] * 3
    for write, (scope, key) in zip(writes, keys.values(), strict=True):
        criteria, update = write.args
        assert {"scope": scope} in criteria["$and"]
        assert {"key": key} in criteria["$and"]
        assert {"window_start": datetime(2026, 11, 29, 15, 20)} in criteria["$and"]
        # A server-side $add, not a value computed from a read: concurrent bumps add up.
        assert update == [{"$set": {"count": {"$add": ["$count", {"$literal": 1}]}}}]


def test_failure_counter_creation_is_one_insert():
    with record_writes() as writes:
        LoginFailureCounter.objects.create(
            scope=LoginFailureScope.EMAIL, key="k" * 64, window_start=NOW, count=1
        )
    assert [(w.collection, w.method) for w in writes] == [("accounts_loginfailurecounter", "insert_many")]
    assert writes[0].args[0][0]["count"] == 1


def test_token_version_bump_is_one_conditional_increment():
    with record_writes() as writes:
        services.user_token_version_bump(user_id=USER_ID, now=NOW)
    assert [(w.collection, w.method) for w in writes] == [("accounts_user", "update_many")]
    criteria, update = writes[0].args
    assert criteria == {"_id": ObjectId(USER_ID)}
    assert update[0]["$set"]["token_version"] == {"$add": ["$token_version", {"$literal": 1}]}
    assert "tokens_valid_after" in update[0]["$set"]


def test_refresh_revocation_is_one_insert_of_jti_and_expiry():
    with record_writes() as writes:
        RevokedToken.objects.create(jti="0123abcd", expires_at=NOW)
    assert [(w.collection, w.method) for w in writes] == [("accounts_revokedtoken", "insert_many")]
    document = writes[0].args[0][0]
    assert (document["jti"], document["expires_at"]) == ("0123abcd", NOW.replace(tzinfo=None))


def test_profile_update_is_one_update_by_id():
    with record_writes() as writes:
        User.objects.filter(pk=USER_ID).update(first_name="Ann")
    assert [(w.collection, w.method) for w in writes] == [("accounts_user", "update_many")]
    assert writes[0].args[0] == {"_id": ObjectId(USER_ID)}


def test_purges_are_single_collection_deletes_on_indexed_fields():
    """``_raw_delete`` is the fast path ``QuerySet.delete()`` takes for these models.

    The public ``delete()`` opens a transaction first, which needs a live server.
    """
    with record_writes() as writes:
        RevokedToken.objects.filter(expires_at__lt=NOW)._raw_delete("default")
        LoginFailureCounter.objects.filter(window_start__lt=NOW)._raw_delete("default")
    assert [(w.collection, w.method) for w in writes] == [
        ("accounts_revokedtoken", "delete_many"),
        ("accounts_loginfailurecounter", "delete_many"),
    ]
    assert {"expires_at": {"$lt": NOW.replace(tzinfo=None)}} in writes[0].args[0]["$and"]
    assert {"window_start": {"$lt": NOW.replace(tzinfo=None)}} in writes[1].args[0]["$and"]
