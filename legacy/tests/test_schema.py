"""The legacy routes in the OpenAPI document: tagged, without disturbing the v1 operations."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator

LEGACY_OPERATIONS = {
    ("/register", "post"): "legacy_register",
    ("/login", "post"): "legacy_login",
    ("/order", "post"): "legacy_order_create",
    ("/order", "get"): "legacy_order_list",
    ("/orders/status", "get"): "legacy_order_status",
    ("/orders/update", "put"): "legacy_order_update",
    ("/orders/cancel", "put"): "legacy_order_cancel",
    ("/users/{user_id}", "delete"): "legacy_user_delete",
}


def test_legacy_operations_are_documented_under_the_legacy_tag_and_v1_ids_are_unchanged():
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    for (path, method), operation_id in LEGACY_OPERATIONS.items():
        operation = paths[path][method]
        assert (operation["operationId"], operation["tags"]) == (operation_id, ["legacy"])
        if path not in ("/register", "/login"):
            # Bearer only: no cookie (session) scheme, no anonymous access.
            [scheme] = operation["security"]
            assert list(scheme) != ["cookieAuth"] and scheme
    # Root-level legacy paths must not change how v1 operations are named and grouped.
    assert paths["/api/v1/orders/"]["get"]["operationId"] == "orders_list"
    assert paths["/api/v1/orders/"]["get"]["tags"] == ["orders"]
    listed = paths["/order"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed == {"$ref": "#/components/schemas/LegacyOrderList"}
