"""JSON Schema from type hints and docstrings, for tool parameters (see the package's docstring)."""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import msgspec


class Param(msgspec.Struct, frozen=True):
    """Describe a parameter in its annotation: ``city: Annotated[str, Param("City name")]``."""

    description: str


_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params)\s*:?\s*$")
_END_SECTION = re.compile(
    r"^\s*(Returns?|Yields?|Raises?|Examples?|Notes?|See Also|References|Attributes|Warnings?)\s*:?\s*$"
)
_GOOGLE_ARG = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_ARG = re.compile(r"^(\*{0,2}\w+)\s*(?::.*)?$")


def _parse_docstring(doc: str | None) -> tuple[str | None, dict[str, str]]:
    """The first paragraph, and per-parameter descriptions from a Google or numpy section."""
    if not doc:
        return None, {}
    lines = inspect.cleandoc(doc).splitlines()
    summary: list[str] = []
    for line in lines:
        if not line.strip() or _SECTION.match(line):
            break
        summary.append(line.strip())
    params: dict[str, str] = {}
    for i, line in enumerate(lines):
        if _SECTION.match(line):
            numpy = i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}
            params.update(_parse_section(lines[i + 2 if numpy else i + 1 :], numpy))
    return (" ".join(summary) or None), {k: v for k, v in params.items() if v}


def _parse_section(lines: list[str], numpy: bool) -> dict[str, str]:
    params: dict[str, str] = {}
    current: str | None = None
    arg_indent: int | None = 0 if numpy else None
    for line in lines:
        stripped = line.strip()
        if not stripped:
            if numpy and current is None:
                break
            continue
        indent = len(line) - len(line.lstrip())
        if _END_SECTION.match(line) or (numpy and set(stripped) == {"-"}) or (not numpy and indent == 0):
            break
        if arg_indent is None:
            arg_indent = indent
        if indent <= arg_indent:
            match = (_NUMPY_ARG if numpy else _GOOGLE_ARG).match(stripped)
            if match is None:
                break
            current = match.group(1).lstrip("*")
            params[current] = "" if numpy else match.group(2).strip()
        elif current is not None:
            params[current] = (params[current] + " " + stripped).strip()
    return params


# --------------------------------------------------------------------------------------------------
# Type hints → JSON Schema


def _is_typeddict(tp: object) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def _description_of(metadata: Iterable[object]) -> str | None:
    description = None
    for meta in metadata:
        if isinstance(meta, str):
            description = meta
        elif isinstance(meta, Param):
            description = meta.description
        elif isinstance(meta, msgspec.Meta) and meta.description is not None:
            description = meta.description
    return description


def _split_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True); anything else → (tp, False)."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(tp)
        rest = [a for a in args if a is not type(None)]
        if len(rest) < len(args):
            if len(rest) == 1:
                return rest[0], True
            return typing.Union[tuple(rest)], True  # noqa: UP007 - built at runtime
    return tp, False


def _hints(tp: Any) -> dict[str, Any]:
    return typing.get_type_hints(tp, include_extras=True)


def _schema(tp: Any, seen: tuple[Any, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of one annotation (nested types inlined)."""
    if typing.get_origin(tp) is typing.Annotated:
        base, *metadata = typing.get_args(tp)
        schema = _schema(base, seen)
        description = _description_of(metadata)
        if description:
            schema = {**schema, "description": description}
        return schema
    if tp is Any or tp is inspect.Parameter.empty or tp is object:
        return {}
    if tp is None or tp is type(None):
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [member.value for member in tp]
        return {**_json_type_of(values), "enum": values}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Literal:
        values = list(args)
        return {**_json_type_of(values), "enum": values}
    if origin is typing.Union or origin is types.UnionType:
        variants = [_schema(a, seen) for a in args]
        return {"anyOf": variants}
    if origin in (list, set, frozenset, Sequence, typing.Sequence) or tp in (list, set, frozenset):
        item = _schema(args[0], seen) if args else {}
        return {"type": "array", "items": item}
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema(args[0], seen)}
        items = [_schema(a, seen) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    if origin in (dict, Mapping, typing.Mapping) or tp is dict:
        if args and args[0] is not str:
            raise TypeError(f"dict keys must be str for a JSON object, not {args[0]!r}")
        return {"type": "object", "additionalProperties": _schema(args[1], seen) if args else {}}
    if _is_pydantic_model(tp):
        return _pydantic_schema(tp)
    if isinstance(tp, type) and (
        issubclass(tp, msgspec.Struct) or _is_typeddict(tp) or dataclasses.is_dataclass(tp)
    ):
        if tp in seen:
            raise TypeError(f"recursive type {tp.__name__} cannot be inlined in a tool schema")
        return _object_schema(tp, (*seen, tp))
    raise TypeError(f"cannot describe {tp!r} in a tool's JSON Schema")


def _is_pydantic_model(tp: object) -> bool:
    """A pydantic (v2) model class.  Looked up, never imported: if the app has a model, pydantic is loaded."""
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None)
    return isinstance(base, type) and isinstance(tp, type) and issubclass(tp, base)


def _has_pydantic_model(tp: Any) -> bool:
    """``tp`` is, or contains (``X | None``, ``list[X]``, ``Annotated``...), a pydantic model."""
    return _is_pydantic_model(tp) or any(_has_pydantic_model(a) for a in typing.get_args(tp))


def _pydantic_schema(model: Any) -> dict[str, Any]:
    """The model's own JSON Schema with every ``$ref`` to its ``$defs`` inlined."""
    schema: dict[str, Any] = model.model_json_schema()
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [inline(v, stack) for v in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name in stack or name not in defs:
                raise TypeError(f"recursive type {name} cannot be inlined in a tool schema")
            rest = {k: inline(v, stack) for k, v in node.items() if k != "$ref"}
            return {**inline(defs[name], (*stack, name)), **rest}
        return {k: inline(v, stack) for k, v in node.items()}

    inlined: dict[str, Any] = inline(schema, (model.__name__,))
    return inlined


def _json_type_of(values: Sequence[object]) -> dict[str, Any]:
    kinds = set()
    for value in values:
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int):
            kinds.add("integer")
        elif isinstance(value, float):
            kinds.add("number")
        elif isinstance(value, str):
            kinds.add("string")
        elif value is None:
            kinds.add("null")
        else:
            raise TypeError(f"enum value {value!r} is not a JSON scalar")
    return {"type": kinds.pop()} if len(kinds) == 1 else {}


def _object_schema(tp: type, seen: tuple[Any, ...]) -> dict[str, Any]:
    """Struct, TypedDict or dataclass → object schema with its own field requirements."""
    hints = _hints(tp)
    properties: dict[str, Any] = {}
    required: list[str] = []
    if issubclass(tp, msgspec.Struct):
        for info in msgspec.structs.fields(tp):
            properties[info.encode_name] = _schema(hints.get(info.name, Any), seen)
            if info.required:
                required.append(info.encode_name)
    elif _is_typeddict(tp):
        required_keys: frozenset[str] = getattr(tp, "__required_keys__", frozenset())
        for name, hint in hints.items():
            properties[name] = _schema(_strip_required(hint), seen)
            if name in required_keys:
                required.append(name)
    elif dataclasses.is_dataclass(tp):
        for f in dataclasses.fields(tp):
            properties[f.name] = _schema(hints.get(f.name, Any), seen)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    doc = _parse_docstring(tp.__doc__)[0] if tp.__doc__ and not _auto_doc(tp) else None
    if doc:
        schema["description"] = doc
    return schema


def _auto_doc(tp: type) -> bool:
    """Dataclasses get an automatic ``Name(field: type, ...)`` docstring: not a description."""
    return dataclasses.is_dataclass(tp) and (tp.__doc__ or "").startswith(tp.__name__ + "(")


def _strip_required(hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is typing.Required or origin is typing.NotRequired:
        return typing.get_args(hint)[0]
    return hint


# --------------------------------------------------------------------------------------------------
# Tools
