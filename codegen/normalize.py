"""Normalise the extracted Realtime schema so that every union is decodable by msgspec.

Theory of operation
-------------------
``schema/realtime.schema.json`` is a faithful copy of OpenAI's event schemas.  msgspec can only decode
a union of structs when every struct is tagged with a distinct value of one field, allows at most one
string-like and one object-like member per union, and rejects anything a ``Literal`` or a constraint
does not allow.  OpenAI's document satisfies none of that as written, and real servers drift from it.
This module rewrites a copy of the schema, rule by rule, into a shape that datamodel-code-generator turns
into decodable msgspec structs.  Each rule is one function, documented beside its code, and applied in
the order of ``RULES``.  The input is never modified.

The rules live with others of their kind:

- ``_rules_fields``: values of single fields — defaults and constraints dropped, required constants that
  may be absent, base64 audio as bytes, optional fields accepting ``null``;
- ``_rules_naming``: which definitions exist and what they are called — events named after their wire
  type, inline objects hoisted and named by path, one union per protocol side, unreachable definitions
  dropped;
- ``_rules_enums``: one-value enums as constants, server-side enums open, known values as Literals;
- ``_rules_unions``: unions flattened, same-tag variants merged, indistinguishable members collapsed;
- ``_rules_discriminators``: tags required, struct unions discriminated on ``type``.

``_schema_walk`` holds the read-only questions they ask of a schema.  The rules are written against JSON
Schema constructs, never against particular schema names, so a new document with new events or new
variants goes through unchanged code.

The order matters: names are settled before unions are reshaped (merged variants and hoisted objects are
named from the final event names); enums are opened before strings are collapsed (so a collapsed string
knows whether it is open); known values become Literals only once no union will be collapsed again; and
discriminators come last, when every union is flat and every struct has its tag.  Constants may be absent
only once same-tag variants are merged (a role that is one constant per variant is a choice once merged)
and before enums are opened (which turns constants into known values).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from codegen._rules_discriminators import add_discriminators, tags_required
from codegen._rules_enums import consts_for_single_enums, known_values_as_literals, open_server_enums
from codegen._rules_fields import (
    BYTES_FIELD,
    constants_may_be_absent,
    drop_defaults_and_constraints,
    mark_bytes,
    nullable_optionals,
)
from codegen._rules_naming import add_event_unions, collect_garbage, hoist_inline_objects, rename_events
from codegen._rules_unions import flatten_unions, merge_same_tag_variants, simplify_unions
from codegen._schema_walk import Schema, pascal, walk

__all__ = ["BYTES_FIELD", "RULES", "Schema", "normalize", "pascal", "walk"]

RULES: list[Callable[[Schema], None]] = [
    drop_defaults_and_constraints,
    mark_bytes,
    rename_events,
    consts_for_single_enums,
    flatten_unions,
    merge_same_tag_variants,
    constants_may_be_absent,
    hoist_inline_objects,
    open_server_enums,
    simplify_unions,
    flatten_unions,
    known_values_as_literals,
    tags_required,
    nullable_optionals,
    add_event_unions,
    add_discriminators,
    collect_garbage,
]


def normalize(extracted: Schema) -> Schema:
    schema = copy.deepcopy(extracted)
    for rule in RULES:
        rule(schema)
    return schema
