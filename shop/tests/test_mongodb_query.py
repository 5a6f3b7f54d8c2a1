"""shop.mongodb.query: $sort moves before projections only when the result stays the same."""

from shop.mongodb.query import sort_before_projections

MATCH = {"$match": {"customer_id": 1}}
SORT = {"$sort": {"created_at": -1, "_id": -1}}


def test_sort_and_paging_move_before_a_projection_that_restates_their_keys():
    identity = {"$addFields": {"created_at": "$created_at", "_id": "$_id"}}
    pipeline = [MATCH, identity, SORT, {"$skip": 20}, {"$limit": 21}]
    assert sort_before_projections(pipeline) == [MATCH, SORT, {"$skip": 20}, {"$limit": 21}, identity]


def test_an_inclusion_project_of_the_keys_lets_the_sort_move_too():
    project = {"$project": {"created_at": 1, "total": "$total"}}
    assert sort_before_projections([MATCH, project, SORT]) == [MATCH, SORT, project]


def test_a_computed_sort_key_keeps_the_order():
    computed = {"$addFields": {"created_at": {"$toDate": "$created"}, "_id": "$_id"}}
    pipeline = [MATCH, computed, SORT]
    assert sort_before_projections(pipeline) == pipeline


def test_a_project_that_drops_a_sort_key_keeps_the_order():
    project = {"$project": {"total": "$total"}}
    pipeline = [MATCH, project, SORT]
    assert sort_before_projections(pipeline) == pipeline


def test_a_group_before_the_sort_keeps_the_order():
    pipeline = [MATCH, {"$group": {"_id": "$status"}}, {"$sort": {"_id": 1}}]
    assert sort_before_projections(pipeline) == pipeline


def test_pipelines_without_sort_or_projection_are_unchanged():
    assert sort_before_projections([MATCH, {"$limit": 1}]) == [MATCH, {"$limit": 1}]
    assert sort_before_projections([MATCH, SORT]) == [MATCH, SORT]
