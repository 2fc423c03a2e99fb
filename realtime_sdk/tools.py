"""Function tools: definitions from Python callables, call parsing, and results as client events.

Theory of operation
-------------------
A :class:`Tool` wraps a sync or async function. Its JSON Schema is built once, when the tool is made,
from the function's signature:

* ``str`` / ``int`` / ``float`` / ``bool`` → ``string`` / ``integer`` / ``number`` / ``boolean``;
  ``list[X]`` (and ``Sequence``, ``set``, ``tuple[X, ...]``) → ``array``; ``dict[str, X]`` → ``object``
  with ``additionalProperties``; ``Any`` or no annotation → any value;
* ``Literal[...]`` and ``enum.Enum`` subclasses → ``enum`` (the values, not the names);
* ``X | None`` / ``Optional[X]`` and parameters with a default are *optional* (not in ``required``);
  a top-level optional parameter without a default receives ``None`` when the model leaves it out;
  inside nested types ``X | None`` is ``anyOf [X, null]``; other unions are ``anyOf``;
* msgspec ``Struct``s, ``TypedDict``s and dataclasses → nested ``object`` schemas, inlined (no
  ``$ref``: the Realtime API's function parameters are kept self-contained);
* pydantic models (when the app uses pydantic; the SDK never imports it otherwise) → the model's own
  JSON Schema, its ``$ref``s inlined, and the model validates the argument (a parameter annotated
  ``Model``, ``Model | None``, ``list[Model]``...; not a model nested inside a dataclass or struct);
* descriptions: ``Annotated[X, "text"]``, ``Annotated[X, Param(description="text")]`` or
  ``Annotated[X, msgspec.Meta(description="text")]``; otherwise the function docstring's ``Args:``
  (Google) or ``Parameters`` (numpy) section. The tool's description is the docstring's first
  paragraph unless given.

A type it cannot describe raises ``TypeError`` when the tool is made, not when the model calls it.

Calls are validated with the same types: the ``arguments`` JSON string is decoded by a msgspec decoder
for a struct built from the signature, so what the function receives has the annotated types (nested
structs are structs, enums are enum members, pydantic models are validated model instances). A
validation failure becomes a readable message for the model (``ToolArgumentsError``). Unknown extra
arguments are ignored.

:func:`run_tool` (defined with the session's I/O and importable from here) is the one
asynchronous helper: it awaits async functions, runs sync ones in a worker
thread (``asyncio.to_thread``), and turns *every* failure — unknown tool, invalid arguments, an
exception, the timeout — into a :class:`ToolResult` with ``is_error`` set and an output the model can
read. It never raises except for cancellation of the caller. A sync function that outlives its timeout
keeps running in its thread (Python cannot stop threads); its result is discarded.

Outputs are strings on the wire: a ``str`` result is sent as is, anything else is JSON-encoded with
msgspec (structs, dataclasses, pydantic models, dicts, lists, sets, numbers, enums, datetimes, UUIDs,
decimals). A result
JSON cannot carry (an arbitrary object) or longer than :data:`MAX_OUTPUT_CHARS` becomes an error output,
as does a failure. Errors are JSON objects ``{"error": "..."}``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import inspect
import re
import sys
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

import msgspec
from msgspec import UNSET

from ._generated import (
    ConversationItemCreate,
    RealtimeConversationItem,
    RealtimeConversationItemFunctionCall,
    RealtimeConversationItemFunctionCallOutput,
    RealtimeFunctionTool,
    ResponseFunctionCallArgumentsDone,
    ResponseOutputItemDone,
)
from .errors import ConfigurationError

__all__ = [
    "Param",
    "Tool",
    "ToolArgumentsError",
    "ToolCall",
    "ToolRegistry",
    "ToolResult",
    "run_tool",  # noqa: F822 - provided by __getattr__ below (the edge defines it)
    "tool",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds a tool may run in :func:`run_tool` before the model is told it timed out."""

MAX_OUTPUT_CHARS = 100_000
"""Longest output :func:`run_tool` sends; a longer one becomes an error output instead.  100 000
characters are some 25 000 tokens, most of a realtime model's 32k context: a result that size crowds out
the conversation (or is refused), and a cut JSON document would not parse, so the model is told instead."""

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Param:
    """Describe a parameter in its annotation: ``city: Annotated[str, Param("City name")]``."""

    description: str


class ToolArgumentsError(ValueError):
    """The model's arguments do not fit the function's signature; the message is meant for the model."""


# --------------------------------------------------------------------------------------------------
# Docstrings

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


class Tool:
    """A function the model can call. Make one with :func:`tool` or :meth:`Tool.from_function`.

    Calling the tool calls the function unchanged.
    """

    name: str
    description: str | None
    parameters: dict[str, Any]
    fn: Callable[..., Any]
    is_async: bool

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"a tool needs a callable, not {fn!r}")
        self.fn = fn
        described = _described(fn)
        self.name = name or described.name or type(fn).__name__
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.name):
            raise ValueError(
                f"tool name {self.name!r}: use 1-64 letters, digits, '_' or '-' (pass name=... to choose one)"
            )
        summary, arg_docs = _parse_docstring(described.doc)
        self.description = description if description is not None else summary
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
        ):
            raise ConfigurationError(
                f"tool {self.name!r}: timeout must be a positive number of seconds or None, not {timeout!r}"
            )
        self.timeout = timeout
        self.is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
        )
        self.parameters, self._args_type, self._names, self._adapters = self._build(fn, described, arg_docs)
        self._decoder = msgspec.json.Decoder(self._args_type)

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        name: str | None = None,
        description: str | None = None,
        *,
        timeout: float | None = None,
    ) -> Tool:
        """A tool from a function: name from ``__name__``, description from the docstring."""
        return cls(fn, name=name, description=description, timeout=timeout)

    @staticmethod
    def _build(
        fn: Callable[..., Any], described: _Described, arg_docs: Mapping[str, str]
    ) -> tuple[dict[str, Any], type[msgspec.Struct], list[tuple[str, inspect.Parameter]], dict[str, Any]]:
        signature = inspect.signature(fn)  # without self, and without a partial's positional arguments
        hints = _parameter_hints(fn, described.hints_of)
        first = next(iter(signature.parameters), None)
        if first == "self" and inspect.isfunction(fn) and "." in fn.__qualname__:
            raise TypeError(
                f"{fn.__qualname__} is a method taken from its class: make the tool from a bound method "
                "(instance.method), so that the model is not asked for 'self'"
            )
        properties: dict[str, Any] = {}
        required: list[str] = []
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        names: list[tuple[str, inspect.Parameter]] = []
        adapters: dict[str, Any] = {}
        for pname, param in signature.parameters.items():
            if pname in described.bound:
                continue  # given by functools.partial: the app's value, not the model's
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                star = "*" if param.kind is param.VAR_POSITIONAL else "**"
                raise TypeError(
                    f"{fn!r}: {star}{pname} cannot be described to the model; a tool's parameters must "
                    "each have a name (and preferably a type)"
                )
            if param.kind is param.POSITIONAL_ONLY:
                raise TypeError(f"tool parameters are passed by keyword: {pname} is positional-only")
            hint = hints.get(pname, Any)
            metadata: list[object] = []
            base = hint
            if typing.get_origin(hint) is typing.Annotated:
                base, *metadata = typing.get_args(hint)
            inner, optional = _split_optional(base)
            schema = _schema(inner)
            description = _description_of(metadata) or arg_docs.get(pname)
            if description:
                schema = {**schema, "description": description}
            properties[pname] = schema
            if _has_pydantic_model(base):
                # msgspec decodes the JSON; the model (through a TypeAdapter) validates this argument.
                adapters[pname] = sys.modules["pydantic"].TypeAdapter(base)
                hint = Any
            has_default = param.default is not param.empty
            if has_default:
                fields.append((pname, hint, param.default))
            elif optional:
                fields.append((pname, hint, None))
            else:
                fields.append((pname, hint))
                required.append(pname)
            names.append((pname, param))
        parameters: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            parameters["required"] = required
        try:
            args_type = msgspec.defstruct(f"{described.name or 'tool'}_arguments", fields, kw_only=True)
            msgspec.json.Decoder(args_type)
        except TypeError as exc:
            raise TypeError(f"cannot validate the arguments of {fn!r}: {exc}") from None
        return parameters, args_type, names, adapters

    @property
    def definition(self) -> RealtimeFunctionTool:
        """The tool as the session configuration (or ``response.create``) lists it."""
        return RealtimeFunctionTool(
            name=self.name,
            description=self.description if self.description is not None else UNSET,
            parameters=self.parameters,
        )

    def parse_arguments(self, arguments: str | bytes) -> dict[str, Any]:
        """Validated keyword arguments from the model's JSON, or ``ToolArgumentsError``."""
        text = arguments.strip() if isinstance(arguments, str | bytes) else arguments
        if not text:
            text = "{}"  # a function without parameters may be called with ""
        try:
            parsed = self._decoder.decode(text)
        except msgspec.ValidationError as exc:
            raise ToolArgumentsError(f"invalid arguments for {self.name}: {exc}") from None
        except msgspec.DecodeError as exc:
            raise ToolArgumentsError(f"arguments for {self.name} are not valid JSON: {exc}") from None
        kwargs = {name: getattr(parsed, name) for name, _ in self._names}
        for name, adapter in self._adapters.items():
            param = dict(self._names)[name]
            if kwargs[name] is param.default:
                continue  # left out: the function's own default
            try:
                kwargs[name] = adapter.validate_python(kwargs[name])
            except ValueError as exc:  # pydantic's ValidationError
                raise ToolArgumentsError(
                    f"invalid arguments for {self.name}: {_problems(name, exc)}"
                ) from None
        return kwargs

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r}, is_async={self.is_async})"


def _problems(name: str, exc: ValueError) -> str:
    """pydantic's errors, one line each (``place.city: Field required``), without its links."""
    try:
        errors = exc.errors()  # type: ignore[attr-defined]
        return "; ".join(".".join(str(p) for p in (name, *e["loc"])) + f": {e['msg']}" for e in errors)
    except Exception:
        return f"`{name}`: {exc}"


def _parameter_hints(fn: Callable[..., Any], target: Any) -> dict[str, Any]:
    """The resolved type hints of ``target``'s parameters.  Its return annotation is not needed and may
    name something that does not resolve at module level (a local class): it is left out when it fails."""
    try:
        return typing.get_type_hints(target, include_extras=True)
    except Exception as first:
        annotations = dict(getattr(target, "__annotations__", None) or {})
        if annotations.pop("return", None) is None:
            raise TypeError(f"cannot read the type hints of {fn!r}: {first}") from None
        shim = types.SimpleNamespace(
            __annotations__=annotations, __globals__=getattr(target, "__globals__", {})
        )
        try:
            return typing.get_type_hints(shim, include_extras=True)
        except Exception as exc:  # a parameter's forward reference that does not resolve
            raise TypeError(f"cannot read the type hints of {fn!r}: {exc}") from None


@dataclass(frozen=True)
class _Described:
    """What describes a callable to the model: where its type hints, name and docstring come from."""

    hints_of: Any
    name: str | None
    doc: str | None
    bound: frozenset[str]
    """Parameters a ``functools.partial`` fixed by keyword: the app's values (a database handle, a user
    id), so they are hidden from the model rather than offered to it."""


def _described(fn: Callable[..., Any]) -> _Described:
    """Functions and methods describe themselves; a ``functools.partial`` is described by the function
    it wraps (its own docstring is ``partial``'s); a callable object by its ``__call__``, with its
    class's name and docstring (``__call__``'s docstring when the class has none)."""
    bound: set[str] = set()
    target: Any = fn
    while isinstance(target, functools.partial):
        bound.update(target.keywords)
        target = target.func
    if inspect.isroutine(target) or inspect.isclass(target):
        return _Described(target, getattr(target, "__name__", None), inspect.getdoc(target), frozenset(bound))
    call = type(target).__call__
    class_doc = type(target).__doc__
    doc = inspect.cleandoc(class_doc) if class_doc else inspect.getdoc(call)
    return _Described(call, type(target).__name__, doc, frozenset(bound))


@overload
def tool(
    fn: _F, /, *, name: str | None = None, description: str | None = None, timeout: float | None = None
) -> Tool: ...
@overload
def tool(
    *, name: str | None = None, description: str | None = None, timeout: float | None = None
) -> Callable[[Callable[..., Any]], Tool]: ...
def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a :class:`Tool`: ``tool(fn, name=..., description=..., timeout=...)``, or as a decorator,
    ``@tool`` or ``@tool(name=..., description=..., timeout=...)``.

    ``timeout`` (seconds) replaces the session's ``tool_timeout`` for this tool.
    """
    if fn is not None:
        return Tool(fn, name=name, description=description, timeout=timeout)

    def wrap(f: Callable[..., Any]) -> Tool:
        return Tool(f, name=name, description=description, timeout=timeout)

    return wrap


class ToolRegistry:
    """Tools by name."""

    def __init__(self, tools: Iterable[Tool | Callable[..., Any]] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, t: Tool | Callable[..., Any]) -> Tool:
        """Register a tool (a plain function becomes one). A second tool of the same name replaces it."""
        made = t if isinstance(t, Tool) else Tool(t)
        self._tools[made.name] = made
        return made

    def remove(self, name: str) -> None:
        """Forget the tool called ``name`` (nothing happens when there is none)."""
        self._tools.pop(name, None)

    def get(self, name: str) -> Tool | None:
        """The tool called ``name``, or ``None``."""
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def definitions(self) -> list[RealtimeFunctionTool]:
        """Every tool's definition, for ``session.update`` / ``response.create``."""
        return [t.definition for t in self._tools.values()]


# --------------------------------------------------------------------------------------------------
# Calls and results


@dataclass(frozen=True)
class ToolCall:
    """One call the model made."""

    call_id: str
    name: str
    arguments: str
    item_id: str | None = None
    response_id: str | None = None

    @classmethod
    def from_event(
        cls,
        event: ResponseFunctionCallArgumentsDone | ResponseOutputItemDone | RealtimeConversationItem,
    ) -> ToolCall | None:
        """The call in a ``response.function_call_arguments.done`` / ``output_item.done`` event or item.

        ``None`` when it holds no function call (e.g. an ``output_item.done`` of a message).
        """
        if isinstance(event, ResponseFunctionCallArgumentsDone):
            return cls(
                call_id=event.call_id,
                name=event.name,
                arguments=event.arguments,
                item_id=event.item_id,
                response_id=event.response_id,
            )
        response_id = event.response_id if isinstance(event, ResponseOutputItemDone) else None
        item = event.item if isinstance(event, ResponseOutputItemDone) else event
        if not isinstance(item, RealtimeConversationItemFunctionCall) or not isinstance(item.call_id, str):
            return None
        return cls(
            call_id=item.call_id,
            name=item.name,
            arguments=item.arguments,
            item_id=item.id if isinstance(item.id, str) else None,
            response_id=response_id,
        )


@dataclass(frozen=True)
class ToolResult:
    """A tool's result for one call, ready to send as a ``function_call_output`` item."""

    call_id: str
    output: str
    is_error: bool = False
    name: str | None = None

    @classmethod
    def ok(cls, call: ToolCall, value: object) -> ToolResult:
        """The result of ``call`` that returned ``value`` (encoded as JSON text for the model)."""
        return cls(call_id=call.call_id, output=encode_output(value), name=call.name)

    @classmethod
    def error(cls, call: ToolCall, message: str) -> ToolResult:
        """The result of ``call`` that failed: ``{"error": message}``, readable by the model."""
        text = _encoder.encode({"error": message}).decode()
        return cls(call_id=call.call_id, output=text, is_error=True, name=call.name)

    @property
    def item(self) -> RealtimeConversationItemFunctionCallOutput:
        return RealtimeConversationItemFunctionCallOutput(call_id=self.call_id, output=self.output)

    def event(self, previous_item_id: str | None = None) -> ConversationItemCreate:
        """The ``conversation.item.create`` event carrying this result."""
        return ConversationItemCreate(
            item=self.item, previous_item_id=previous_item_id if previous_item_id is not None else UNSET
        )


def _encode_other(value: Any) -> Any:
    if _is_pydantic_model(type(value)):
        return value.model_dump(mode="json")
    raise TypeError(f"Encoding objects of type {type(value).__name__} is unsupported")


_encoder = msgspec.json.Encoder(enc_hook=_encode_other)


def encode_output(value: object) -> str:
    """A tool's return value as the ``output`` string: ``str`` as is, anything else as JSON.

    Raises ``TypeError`` for what JSON cannot carry (an arbitrary object, a dict with non-string keys,
    an int beyond 64 bits): the model should not be handed a ``repr`` as if it were the result."""
    if isinstance(value, str):
        return value
    try:
        return _encoder.encode(value).decode()
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"a {type(value).__name__} result cannot be sent as JSON: {exc}") from None


# ``run_tool`` runs a tool on the event loop, so it lives in the edge (``session/_run_tool.py``), the only
# layer that may import asyncio.  Importing it from here keeps working; resolved on first use so that this
# pure module does not import the edge (which imports this module) at import time.
RunTool = Callable[
    [Tool | ToolRegistry | Mapping[str, Tool] | None, ToolCall, float | None], Awaitable[ToolResult]
]


def __getattr__(name: str) -> RunTool:
    if name == "run_tool":
        from .session._run_tool import run_tool

        return run_tool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
