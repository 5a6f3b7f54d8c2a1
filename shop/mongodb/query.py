"""Put ``$sort`` (with ``$skip``/``$limit``) before the projection stages that only restate its keys.

django-mongodb-backend 5.2.4 (and 6.x) emits ``$match``, then ``$project`` or
``$addFields`` (restating the ordering columns, ``{"created_at": "$created_at"}``),
then ``$sort`` and ``$limit``. MongoDB pushes a ``$sort`` into the query layer, where
an index can deliver the order, only when it comes before any stage that reshapes
documents (MongoDB's ``$sort`` documentation; SERVER-26442, "Push $sort before
$project and $addFields", is open). So every ordered list read, such as a page of
orders newest first, would be a blocking in-memory sort of everything the ``$match``
found. Sorting first is the same result whenever each sort key passes through the
projection stages unchanged; only then are the stages reordered.
"""

from __future__ import annotations

from django_mongodb_backend.query import MongoQuery

PROJECTION_STAGES = ("$project", "$addFields")
PAGING_STAGES = ("$skip", "$limit")


def _passes_through(stage: dict, key: str) -> bool:
    """Return whether sort key ``key`` leaves projection ``stage`` with the value it came in with."""
    ((operator, spec),) = stage.items()
    if key in spec:
        value = spec[key]
        return value == f"${key}" or (operator == "$project" and value in (1, True))
    # An $addFields keeps every other field; an inclusion $project keeps only _id besides its keys.
    return operator == "$addFields" or key == "_id"


def sort_before_projections(pipeline: list[dict]) -> list[dict]:
    """Return ``pipeline`` with ``$sort`` (and the paging after it) moved before pass-through projections.

    Only a run of ``$project``/``$addFields`` stages directly before ``$sort`` moves,
    and only if every sort key passes through each of them unchanged; anything else
    (a computed sort key, a ``$group``) keeps its order.
    """
    sort_at = next((index for index, stage in enumerate(pipeline) if "$sort" in stage), None)
    if sort_at is None:
        return pipeline
    start = sort_at
    while start > 0 and next(iter(pipeline[start - 1])) in PROJECTION_STAGES:
        start -= 1
    if start == sort_at:
        return pipeline
    keys = list(pipeline[sort_at]["$sort"])
    projections = pipeline[start:sort_at]
    if not all(_passes_through(stage, key) for stage in projections for key in keys):
        return pipeline
    end = sort_at + 1
    while end < len(pipeline) and next(iter(pipeline[end])) in PAGING_STAGES:
        end += 1
    return [*pipeline[:start], *pipeline[sort_at:end], *projections, *pipeline[end:]]


class IndexOrderedMongoQuery(MongoQuery):
    """The backend's query, with ``$sort`` placed where an index can serve it."""

    def get_pipeline(self):
        """Return the backend's pipeline with :func:`sort_before_projections` applied."""
        return sort_before_projections(super().get_pipeline())
