"""``Tool``, the ``tool`` decorator and ``ToolRegistry``: a function and its schema, and the session's set."""

from __future__ import annotations

import functools
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar, overload

import msgspec
from msgspec import UNSET

from .._generated import (
    RealtimeFunctionTool,
)
from ..errors import ConfigurationError
from ._schema import _description_of, _has_pydantic_model, _parse_docstring, _schema, _split_optional

DEFAULT_TIMEOUT = 30.0
"""Seconds a tool may run in :func:`run_tool` before the model is told it timed out."""

MAX_OUTPUT_CHARS = 100_000
"""Longest output :func:`run_tool` sends; a longer one becomes an error output instead.  100 000
characters are some 25 000 tokens, most of a realtime model's 32k context: a result that size crowds out
the conversation (or is refused), and a cut JSON document would not parse, so the model is told instead."""


_F = TypeVar("_F", bound=Callable[..., Any])


class ToolArgumentsError(ValueError):
    """The model's arguments do not fit the function's signature; the message is meant for the model."""


# --------------------------------------------------------------------------------------------------
# Docstrings


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


class _Described(msgspec.Struct, frozen=True):
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
