"""Single-row writes for the payment's hot path, with their SQL built once.

A wallet payment writes about a dozen rows, one at a time. Through the ORM
each `create()`, `save(update_fields=…)` and `filter(pk=…).update(F(…) + n)`
builds its SQL again, through query objects and compilers, and that was most
of the Python time of a payment (README, "Benchmarks"). These helpers write
the same rows with the same values: the statement for a model and a set of
columns is built once per process from the model's own field definitions,
and each value is prepared by its field (`get_db_prep_save`), as `save()`
prepares it. Portable (SQLite and PostgreSQL: INSERT … RETURNING).

What they skip: the model signals (pre_save, post_save), which no hot-path
model has a receiver for (only the rule models of `rulecache` do: never
write those here), and a model's `save()` override (of the hot-path
models only Transfer has one, refusing to save a row twice). Use them in services only, inside the service's
transaction, for rows of the service's own app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]

_inserts: dict[tuple[type[Model], str, bool], tuple[str, list[Field[Any, Any]]]] = {}
_updates: dict[tuple[type[Model], tuple[str, ...], bool, str], tuple[str, list[Field[Any, Any]]]] = {}


def _insert_sql(model: type[Model], alias: str, ignore_conflicts: bool) -> tuple[str, list[Field[Any, Any]]]:
    found = _inserts.get((model, alias, ignore_conflicts))
    if found is None:
        meta = model._meta
        fields = [field for field in meta.local_concrete_fields if not field.primary_key]
        quote = connections[alias].ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608 - names from the model
        sql += " ON CONFLICT DO NOTHING" if ignore_conflicts else f" RETURNING {quote(meta.pk.column)}"
        found = _inserts[(model, alias, ignore_conflicts)] = (sql, fields)
    return found


def row_insert(obj: Model, *, ignore_conflicts: bool = False) -> Model:
    """Insert the new instance `obj` (every column, as `save()` would) and
    give it its primary key; returns it. `ignore_conflicts`: as bulk_create's,
    a row a unique constraint refuses is not written (and `obj` gets no key)."""
    model = type(obj)
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    sql, fields = _insert_sql(model, alias, ignore_conflicts)
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection=connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        if ignore_conflicts:
            return obj
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = alias
    return obj


def rows_insert(objs: list[Any]) -> list[Any]:
    """Insert new instances of one model: one through `row_insert`, more (or
    none) with one `bulk_create` statement, as before."""
    if len(objs) == 1:
        return [row_insert(objs[0])]
    return type(objs[0])._default_manager.bulk_create(objs) if objs else []


def row_create(model: type[Model], **values: Any) -> Any:
    """`model.objects.create(**values)` through `row_insert`."""
    return row_insert(model(**values))


def _update_sql(model: type[Model], names: tuple[str, ...], add: bool, alias: str) -> tuple[str, list[Field[Any, Any]]]:
    found = _updates.get((model, names, add, alias))
    if found is None:
        meta = model._meta
        fields = [_concrete(model, name) for name in names]
        quote = connections[alias].ops.quote_name
        if add:
            sets = ", ".join(f"{quote(f.column)} = {quote(f.column)} + %s" for f in fields)
        else:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        sql = f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names from the model
        found = _updates[(model, names, add, alias)] = (sql, fields)
    return found


def _concrete(model: type[Model], name: str) -> Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _run_update(model: type[Model], pk: Any, names: tuple[str, ...], values: list[Any], *, add: bool) -> int:
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields = _update_sql(model, names, add, alias)
    params = [field.get_db_prep_save(value, connection=connection) for field, value in zip(fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pk])
        return int(cursor.rowcount)


def row_save(obj: Model, fields: tuple[str, ...]) -> int:
    """`obj.save(update_fields=fields)`: write those fields of a saved row."""
    model = type(obj)
    values = [getattr(obj, _concrete(model, name).attname) for name in fields]  # a foreign key's id, not its row
    return _run_update(model, obj.pk, fields, values, add=False)


def row_add(model: type[Model], pk: Any, **amounts: int) -> int:
    """`filter(pk=pk).update(column=F(column) + amount, …)` for integer
    columns; returns the rows updated (0 or 1)."""
    names = tuple(amounts)
    return _run_update(model, pk, names, [amounts[name] for name in names], add=True)


class PreparedQuery:
    """A queryset whose SQL is built once per process and run again with new
    parameter values: `build(**values)` makes the queryset; the first call
    builds it with probe values (int or str, as the real ones), compiles it,
    and remembers where each probe sits among the statement's parameters.
    Rows come back as the queryset's own instances (select_related and
    annotations included), made as Django's ModelIterable makes them.
    Values are compared for equality (an integer no column can hold matches
    no row, as in the ORM). A value that is None may change the statement's
    shape (IS NULL), so each pattern of Nones has its own statement. Every
    other parameter of the statement is kept as the first build made it:
    `build` must not put the clock, a setting or anything else that changes
    into the query (pass it as a value instead)."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self.build = build
        self._plans: dict[tuple[str, frozenset[str]], tuple[Any, str, list[Any], dict[str, list[int]]]] = {}

    def _plan(self, alias: str, values: dict[str, Any]) -> tuple[Any, str, list[Any], dict[str, list[int]]]:
        nones = frozenset(name for name, value in values.items() if value is None)
        plan = self._plans.get((alias, nones))
        if plan is None:
            probes = {
                name: None if name in nones else _probe(i, value) for i, (name, value) in enumerate(values.items())
            }
            compiler = self.build(**probes).query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            at: dict[str, list[int]] = {
                name: [i for i, param in enumerate(params) if probe is not None and param == probe]
                for name, probe in probes.items()
            }
            if any(not at[name] for name in values if name not in nones):
                raise ValueError(f"parameters of the prepared query not all found: {params}")
            plan = self._plans[(alias, nones)] = (compiler, sql, list(params), at)
        return plan

    def first(self, **values: Any) -> Any:
        """The first row as an instance, or None."""
        rows = self._run(values, many=False)
        return rows[0] if rows else None

    def all(self, **values: Any) -> list[Any]:
        """Every row, as instances."""
        return self._run(values, many=True)

    def refresh(self, instance: Model, **values: Any) -> None:
        """`instance.refresh_from_db(from_queryset=…)` with this query, which
        must find its row: its fields take the row's values, its related
        rows those the query selected, and what was prefetched is dropped."""
        fresh = self.first(**values)
        if fresh is None:
            raise instance._meta.model.DoesNotExist(f"{type(instance).__name__} {instance.pk} is gone")  # type: ignore[attr-defined]
        for field in instance._meta.concrete_fields:
            setattr(instance, field.attname, getattr(fresh, field.attname))
        instance._state.fields_cache = dict(fresh._state.fields_cache)
        instance._state.db = fresh._state.db
        instance.__dict__.pop("_prefetched_objects_cache", None)

    def _run(self, values: dict[str, Any], *, many: bool) -> list[Any]:
        if any(isinstance(value, int) and not _BIGINT_MIN <= value <= _BIGINT_MAX for value in values.values()):
            # No integer column holds it, so no row is equal to it (the ORM
            # answers so too; SQLite would refuse the parameter).
            return []
        alias = "default"
        compiler, sql, params, at = self._plan(alias, values)
        params = list(params)
        for name, positions in at.items():
            for i in positions:
                params[i] = values[name]
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if many else cursor.fetchmany(1)
        if not rows:
            return []
        klass_info, select = compiler.klass_info, compiler.select
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, alias)
        instances = []
        for converted in compiler.results_iter(results=[rows]):
            obj = klass_info["model"].from_db(alias, names, converted[start:end])
            for populator in populators:
                populator.populate(converted, obj)
            for attr, position in compiler.annotation_col_map.items():
                setattr(obj, attr, converted[position])
            instances.append(obj)
        return instances


_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


def _probe(i: int, value: Any) -> Any:
    """A value no real parameter has, of the real value's type."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"PreparedQuery takes int and str values, not {type(value).__name__}")
    return -(2**62) - i if isinstance(value, int) else f"\x00probe{i}"


_raw_plans: dict[
    tuple[type[Model], str, str], tuple[list[str], list[tuple[int, Any, list[Any]]], list[tuple[int, str]]]
] = {}


def raw_first(model: type[Model], sql: str, params: list[Any]) -> Any:
    """`next(iter(model.objects.raw(sql, params)), None)`: the first row as
    an instance with the statement's extra columns as attributes, its column
    mapping and converters worked out once per statement (RawQuerySet works
    them out on every run)."""
    alias = router.db_for_read(model)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        plan = _raw_plans.get((model, alias, sql))
        if plan is None:
            by_column = {field.column: field for field in model._meta.concrete_fields}
            names, converting, extras = [], [], []
            for i, column in enumerate(col[0] for col in cursor.description):
                field = by_column.get(column)
                if field is None:
                    extras.append((i, column))
                    continue
                col = field.get_col(model._meta.db_table)
                names.append(field.attname)
                converters = field.get_db_converters(connection)  # type: ignore[attr-defined]
                converting.append((i, col, connection.ops.get_db_converters(col) + converters))
            # Model.from_db takes the values in the model's field order.
            order = {field.attname: i for i, field in enumerate(model._meta.concrete_fields)}
            pairs = sorted(zip(names, converting, strict=True), key=lambda pair: order[pair[0]])
            names, converting = [name for name, _ in pairs], [conv for _, conv in pairs]
            plan = _raw_plans[(model, alias, sql)] = (names, converting, extras)
    names, converting, extras = plan
    values = []
    for i, col, converters in converting:
        value = row[i]
        for converter in converters:
            value = converter(value, col, connection)
        values.append(value)
    obj = model.from_db(alias, names, values)
    for i, column in extras:
        setattr(obj, column, row[i])
    return obj
