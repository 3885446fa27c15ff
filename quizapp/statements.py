"""Pieces of SQL shaped for PostgreSQL's prepared statements (psycopg prepares a statement after
a few executions of the same text, and PostgreSQL then reuses a generic plan for it).

- ``constant``: a value written into the statement's text, not sent as a parameter. A generic
  plan can then use a partial index whose predicate names that value; with a parameter,
  PostgreSQL planned such a statement afresh on every execution (the trainee's open attempts'
  questions: 0.40 ms a query as a parameter, 0.16 ms as a constant, through psycopg).
- ``array_rows``: rows made by ``unnest`` from one array parameter per column, so a statement
  that writes any number of rows keeps one text (a multi-row VALUES list is new text, parsed
  afresh, for every number of rows).
"""

from __future__ import annotations

from sqlalchemy import BindParameter, bindparam, func, literal
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.selectable import TableValuedAlias
from sqlalchemy.types import TypeEngine


def constant(value) -> BindParameter:
    return literal(value, literal_execute=True)


def array_rows(name: str, columns: dict[str, type[TypeEngine]]) -> TableValuedAlias:
    """``unnest(:a, :b, ...) AS name(a, b, ...)``: the parameters are named after the columns and
    each takes a list (one element per row)."""
    arrays = (bindparam(column, type_=postgresql.ARRAY(kind)) for column, kind in columns.items())
    return func.unnest(*arrays).table_valued(*columns).render_derived(name)
