"""The index-use contract: which index of the MongoDB migrations serves a compiled query, if any.

No server is needed. :func:`migration_indexes` applies the MongoDB migration set
(``shop/mongo_migrations`` and Django's own for the apps without one) through the
backend's schema editor under :class:`~shop.testing.mongo.MongoRecorder`, which
records every ``create_indexes``/``drop_index`` the editor sends: the indexes a
fresh ``migrate`` makes, exactly as the backend builds them (partial unique indexes
included).

:func:`serving_index` then reads a compiled pipeline (or an update's criteria) the
way MongoDB's planner chooses an index, in a conservative model of it:

* the query's conditions are taken from its first ``$match``: point equalities
  (``{f: v}``, ``{f: {"$eq": v}}``), ``$in`` lists, ranges (``$gt``, ``$gte``, ``$lt``,
  ``$lte``); anything else (``$regex``, ``$ne``, ``$exists``) only filters rows and
  needs no index key. An ``$or`` whose every branch has a point equality is planned
  branch by branch (MongoDB's contained ``$or``), each branch with the conditions
  around it; any other ``$or`` only filters;
* an index serves the query when its leading keys are exactly the equality fields
  (in any order), every range field is one of its keys, and the ``$sort`` that
  follows the ``$match`` directly (``shop.mongodb.query`` puts it there) is the
  index's next keys, all in the index's directions or all reversed; keys held by a
  point equality do not count for the sort. A ``$sort`` after any other stage is
  never served: MongoDB sorts in memory there;
* a unique index whose every key is a point equality of an unsorted query serves
  it whatever else the query says: it finds at most one document;
* a partial index counts only for queries whose conditions include every
  condition of its ``partialFilterExpression`` literally; an equality match never
  states ``$type``, so django-mongodb-backend's partial unique indexes serve nothing.

The model errs on the safe side: what it accepts, the planner can do without a
collection scan or a blocking sort. ``explain()`` checks the same paths on a real
server (``shop/tests/test_mongo_explain.py``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from shop.testing.mongo import conjuncts, describe, first_match

RANGE_OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte"})


@dataclass(frozen=True)
class MongoIndex:
    """One index of a collection: its keys in order with their directions."""

    collection: str
    name: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    partial: dict | None = None

    @property
    def fields(self) -> list[str]:
        """Return the key fields in order."""
        return [name for name, _direction in self.keys]

    def __str__(self) -> str:
        partial = f" partial {describe(self.partial)}" if self.partial else ""
        return f"{self.collection}.{self.name} {list(self.keys)}{' unique' if self.unique else ''}{partial}"


@functools.cache
def migration_indexes() -> dict[str, tuple[MongoIndex, ...]]:
    """Return ``{collection: indexes}`` that migrating a new MongoDB database creates."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.state import ProjectState

    from shop.testing.mongo import MongoRecorder

    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan: list[tuple[str, str]] = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        for node in loader.graph.forwards_plan(leaf):
            if node not in plan:
                plan.append(node)
    state = ProjectState(real_apps=loader.unmigrated_apps)
    with MongoRecorder() as recorder, connection.schema_editor(atomic=False) as editor:
        for key in plan:
            state = loader.graph.nodes[key].apply(state, editor)
    indexes: dict[str, dict[str, MongoIndex]] = {}
    for action, collection, detail in recorder.schema:
        if action == "create_collection":
            indexes[collection] = {"_id_": MongoIndex(collection, "_id_", (("_id", 1),), unique=True)}
        elif action == "create_index":
            indexes.setdefault(collection, {})[detail["name"]] = MongoIndex(
                collection,
                detail["name"],
                tuple((name, int(direction)) for name, direction in detail["key"].items()),
                unique=bool(detail.get("unique")),
                partial=detail.get("partialFilterExpression"),
            )
        elif action == "drop_index":
            indexes.get(collection, {}).pop(detail, None)
        elif action == "drop_collection":
            indexes.pop(collection, None)
        elif action == "rename_collection":
            indexes[detail] = indexes.pop(collection, {})
    return {collection: tuple(found.values()) for collection, found in indexes.items()}


@dataclass
class Shape:
    """What an index must provide for one (branch of a) query."""

    points: set[str] = field(default_factory=set)
    lists: set[str] = field(default_factory=set)
    ranges: set[str] = field(default_factory=set)
    conditions: list[dict] = field(default_factory=list)

    @property
    def equalities(self) -> set[str]:
        """Return the fields matched by a point or by a list of points."""
        return self.points | self.lists


def _classify(shape: Shape, condition: dict) -> None:
    ((name, value),) = condition.items()
    shape.conditions.append(condition)
    if name.startswith("$"):
        return  # $expr, $text and the like: only a filter here (assert_index_friendly refuses $expr)
    operators = {key for key in value if str(key).startswith("$")} if isinstance(value, dict) else set()
    if not operators or operators == {"$eq"}:
        shape.points.add(name)
    elif operators == {"$in"}:
        shape.lists.add(name)
    elif operators <= RANGE_OPERATORS:
        shape.ranges.add(name)


def query_shapes(match: dict | None) -> list[Shape]:
    """Return the shapes the planner serves separately: one, or one per contained ``$or`` branch."""
    base = Shape()
    branches: list[list[dict]] = []
    for condition in conjuncts(match or {}):
        ors = condition.get("$or")
        if ors is not None and all(_branch_has_point(branch) for branch in ors):
            branches.append(ors)
        else:
            _classify(base, condition)
    if not branches:
        return [base]
    (branch_list, *others) = branches
    shapes = []
    for branch in branch_list:
        shape = Shape(set(base.points), set(base.lists), set(base.ranges), list(base.conditions))
        for condition in conjuncts(branch):
            _classify(shape, condition)
        for other in others:  # a second contained $or only filters
            shape.conditions.append({"$or": other})
        shapes.append(shape)
    return shapes


def _branch_has_point(branch: dict) -> bool:
    """Return whether an ``$or`` branch holds a point equality (so it can be planned on its own)."""
    probe = Shape()
    for condition in conjuncts(branch):
        _classify(probe, condition)
    return bool(probe.points)


def served_sort(pipeline: list[dict]) -> list[tuple[str, int]] | None:
    """Return the ``$sort`` an index must deliver, ``[]`` for none, or None if no index can.

    Only a ``$sort`` that is the first stage or follows the first ``$match`` directly
    can come from an index.
    """
    names = [next(iter(stage)) for stage in pipeline]
    if "$sort" not in names:
        return []
    at = names.index("$sort")
    if at == 0 or (at == 1 and names[0] == "$match"):
        return [(key, int(direction)) for key, direction in pipeline[at]["$sort"].items()]
    return None


def _implies(conditions: list[dict], partial: dict) -> bool:
    return all({key: value} in conditions for key, value in partial.items())


def _serves(index: MongoIndex, shape: Shape, sort: list[tuple[str, int]], residual: frozenset) -> bool:
    if index.partial and not _implies(shape.conditions, index.partial):
        return False
    fields = index.fields
    if index.unique and set(fields) <= shape.points and not sort:
        return True  # at most one document: the other conditions only filter it
    equal = shape.equalities
    if set(fields[: len(equal)]) != equal:
        return False
    if not (shape.ranges - residual) <= set(fields):
        return False
    if not sort:
        return bool(equal or shape.ranges)
    keys = [(name, direction) for name, direction in index.keys if name not in shape.points]
    wanted = [(name, direction) for name, direction in sort if name not in shape.points]
    if not wanted:
        return True
    head = keys[: len(wanted)]
    same = head == wanted
    reversed_ = head == [(name, -direction) for name, direction in wanted]
    return same or reversed_


def serving_index(
    collection: str, pipeline: list[dict] | dict, *, residual: tuple[str, ...] = ()
) -> list[MongoIndex] | None:
    """Return the index serving each planned branch of the query, or None if one has none.

    ``pipeline`` is an aggregation pipeline or, for an update or a delete, its criteria.
    ``residual`` names range fields the caller accepts as a plain filter on the rows
    the index finds (say why where it is used).
    """
    if isinstance(pipeline, dict):
        match, sort = pipeline, []
    else:
        match, sort = first_match(pipeline), served_sort(pipeline)
        if sort is None:
            return None
    indexes = migration_indexes().get(collection, ())
    chosen = []
    for shape in query_shapes(match):
        index = next((index for index in indexes if _serves(index, shape, sort, frozenset(residual))), None)
        if index is None:
            return None
        chosen.append(index)
    return chosen


def serving_candidates(
    collection: str, pipeline: list[dict] | dict, *, residual: tuple[str, ...] = ()
) -> set[str]:
    """Return the names of every index that serves some planned branch of the query."""
    if isinstance(pipeline, dict):
        match, sort = pipeline, []
    else:
        match, sort = first_match(pipeline), served_sort(pipeline)
        if sort is None:
            return set()
    return {
        index.name
        for shape in query_shapes(match)
        for index in migration_indexes().get(collection, ())
        if _serves(index, shape, sort, frozenset(residual))
    }


def assert_served_by_index(
    collection: str, pipeline: list[dict] | dict, *, residual: tuple[str, ...] = ()
) -> list[MongoIndex]:
    """Fail unless an index the MongoDB migrations create serves the query; return the indexes."""
    chosen = serving_index(collection, pipeline, residual=residual)
    if chosen is None:
        available = "\n".join(str(index) for index in migration_indexes().get(collection, ()))
        raise AssertionError(
            f"no index on {collection} serves this query:\n{describe(pipeline)}\nindexes:\n{available}"
        )
    return chosen
