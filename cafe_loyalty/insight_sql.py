"""SQL helpers of generate_insight_data (cafe_loyalty.insight_data): INSERT …
SELECT into a model's table with its other columns at their defaults, ids and
sequences. Table and column names come from models, never from input."""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def defaults_of(model: type[models.Model], given: list[str]) -> tuple[list[str], list[Any]]:
    """Columns the statements below do not set, with the model's defaults, so
    a column added later (with a default) does not break the generator."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in given:
            continue
        if field.null and not field.has_default():
            continue
        value = field.get_default()
        columns.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return columns, values


def insert_select(model: type[models.Model], given: dict[str, str], source: str, params: list[Any]) -> int:
    """INSERT INTO model's table (given columns = SQL expressions over `source`, plus defaults)."""
    extra_columns, extra_values = defaults_of(model, list(given))
    # Defaults first: their placeholders then come before any in `given` and `source`.
    columns = [*extra_columns, *given]
    expressions = [*(["%s"] * len(extra_values)), *given.values()]
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} {source}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*extra_values, *params])
        return cursor.rowcount


def next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        # The table name comes from the model, never from input.
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {model._meta.db_table}")  # noqa: S608
        return int(cursor.fetchone()[0])


def move_sequence(model: type[models.Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT greatest(max(id), 1) FROM {table}))",  # noqa: S608
            [table],
        )


def run_sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
