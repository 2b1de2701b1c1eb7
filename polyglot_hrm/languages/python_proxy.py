"""A Python candidate's modules in a process of their own, behind a proxy (polyglot-hrm, issue 23).

Why: code that shares a process with the tests can write the test report, read the tests and the canaries,
patch pytest or unittest, or read the calling test's frame (``sys._getframe(1)`` + ``linecache`` finds
``assertEqual(game.score(), 30)`` and returns 30). Here nothing of the candidate runs where the tests run.

This one file, standard library only, is copied into the runner cache: it runs where ``polyglot_hrm`` is not
importable. Two processes share one connected stream socket (fd 3, or ``$POLYGLOT_HRM_PROXY_FD``):

* **A, the tests' process**: pytest, the exercise's tests, and in place of each candidate module ``X.py`` a
  generated stub (:func:`stub_module`) that asks B to import ``X`` and puts a proxy module in ``sys.modules``:
  ``import X; X.f()``, ``from X import Y``, ``hasattr(X, "Y")`` and ``from X import *`` all go to B. A runs
  trusted code only; it imports this file from the runner cache (PYTHONPATH).
* **B, the candidate's process**: ``python -S -m python_proxy serve``, started in a folder that holds only
  the candidate's modules (which it puts first on ``sys.path``); it imports them when A asks and answers A's
  requests. What it prints travels back with its answers and is written to A's stdout/stderr (1 MiB in all),
  so pytest shows it under the test that caused it.

**Wire.** Each message is a 4-byte big-endian length and that many bytes of JSON (ASCII), at most
:data:`MAX_MESSAGE` bytes; values nest at most :data:`MAX_DEPTH` deep. Never pickle, marshal or eval: nothing
a peer sends is code. Requests ``{"q": id, "op": ..., "t": target, "p": arguments}`` are answered
``{"a": id, "v": value}`` or ``{"a": id, "e": exception}``; while a side waits for its answer it serves the
other side's requests (callbacks), so calls nest both ways. A is one conversation: its threads take turns.

**Carried.** By value (exact types only; a subclass goes by handle): None, bool, int (any size), float (nan,
inf), complex, str, bytes, bytearray, list, tuple, dict (any hashable keys), set, frozenset, range,
``datetime`` date/time/datetime (fixed-offset or no tzinfo)/timedelta, Decimal, Fraction, Counter, OrderedDict,
deque, builtin types (``int``, ``ValueError``), nested. Everything else by handle, one proxy per object on the
other side (identity kept: a callback passed twice is one object in B, so add/remove-callback patterns work),
and a handle that goes back to its owner is the owner's real object again. The candidate's classes become one
local class each in A (``isinstance`` works, subclassing mirrored), whose instances forward attribute get, set
and delete, calls, operators (reflected and in-place too), comparisons, equality and hashing (identity where
the class keeps object's), str/repr/format, bool, len, iteration (lazily: one ``next`` per item, StopIteration
carried), reversed, getitem/setitem/delitem, contains, context managers, copy and deepcopy; reading one of
the class's plain methods costs no round trip (:class:`RemoteMethod`). The class itself forwards
construction, class attributes and class-level iteration/len/getitem (enums). Functions are callable proxies;
module constants arrive by value. Exceptions carry type, args, message, public attributes and, from B, its
traceback as a note: builtin types are re-raised as the same builtin type, and the candidate's own exception
classes become real local classes (one per remote class, subclassing the mirrored remote bases or the nearest
builtin base), so ``assertRaises(forth.StackUnderflowError)`` and ``err.exception.args[0]`` work.

**Refused (what B can do to A).** B's messages only ever make A build data and proxies. On A's objects that
the tests handed over (callbacks, test helpers), B may only: call a callable; iterate (iter, next); len,
contains, getitem; eq, ne, hash, bool, str, repr, format; enter/exit a context manager; and read attributes
whose names do not start with ``_`` and whose values are plain data or callables. Never ``__globals__``,
``__code__``, ``__closure__``, ``__dict__``, frames, modules, types' internals, setattr; and A never hands B a
module, frame, code object, traceback, nor a callable of the interpreter's, the file system's or the test
tools' (``eval``, ``open``, ``getattr``, ``os.*``, ``sys.*``, ``unittest``/``pytest`` objects, a partial of
one, ...). An assertion failure raised inside a test's callback reaches B without its message (it could hold
the expected value), and comes back whole. A malformed, oversized or too deeply nested message, or a broken
channel, makes the call raise :class:`ProxyError` in A (a failed test); SystemExit or KeyboardInterrupt of
B's is a :class:`RemoteError` there; a channel that lost its framing stays failed. B that never answers blocks
A until the run's clock ends the run. Names of locally created classes are sanitised.

**Cannot carry** (such exercises run in-process from a named fallback list): tests that patch the candidate's
module or its globals (``mock.patch`` of a name in it: the patch lands in A), hand mocks to the candidate, or
read its frames; identity and in-place mutation of plain data (a list passed by value is a copy on the other
side); threads of the candidate calling back into the tests (only the thread serving A's call may);
``asyncio`` objects across the boundary; pickling a proxy; a subclass, written in the tests, of a candidate's
class.
"""

from __future__ import annotations

# Only what every run needs is imported here: both processes start at every run, and B's start is on the clock.
# The codecs of datetime, decimal, fractions and collections values load when such a value first appears.
import _thread
import builtins
import io
import json
import keyword
import math
import operator
import os
import re
import sys
import types

__all__ = ["DEFAULT_FD", "FD_ENV", "MAX_DEPTH", "MAX_MESSAGE", "Peer", "ProtocolError", "ProxyError", "RemoteError",
           "client", "install", "main", "serve", "stub_module"]

# pytest leaves this module's frames out of its tracebacks: a failure shows the test's line, not the proxy's.
__tracebackhide__ = True

FD_ENV = "POLYGLOT_HRM_PROXY_FD"
DEFAULT_FD = 3
MAX_MESSAGE = 16 * 1024 * 1024
MAX_DEPTH = 100
MAX_TEXT = 64 * 1024  # an exception's message, a traceback, or the captured output one message carries
MAX_NAME = 64
_HEADER_SIZE = 4  # big-endian length of the JSON that follows
MAX_OUTPUT = 1024 * 1024  # all of B's printed output A writes, in all
_BIG = 1 << 63  # ints at least this large travel as hex: JSON readers, and int()'s digit limit, stay out of it


class ProxyError(Exception):
    """The channel to the other process failed or carried something that cannot be used."""


class ProtocolError(ProxyError):
    """The other process broke the protocol (malformed, oversized or unexpected message)."""


class RemoteError(Exception):
    """An exception of the other process that is not rebuilt as itself (SystemExit, KeyboardInterrupt, ...)."""


class _Unsendable(ProxyError):
    """A value this process does not hand to the other one (A's private objects)."""


# ---------------------------------------------------------------------------------------------- names


_UNSAFE_CHARS = re.compile(r"[^0-9A-Za-z_]")


def _clean_name(name: object, default: str = "Remote") -> str:
    """``name`` as a short identifier: the peer chooses class names, they must not be able to read as code."""
    if not isinstance(name, str):
        return default
    name = _UNSAFE_CHARS.sub("_", name)[:MAX_NAME]
    if not name or name[0].isdigit() or keyword.iskeyword(name):
        name = "_" + name
    return name


def _clean_module(name: object) -> str:
    if not isinstance(name, str) or not name:
        return "remote"
    return ".".join(_clean_name(part, "remote") for part in name.split(".")[:4])


def _short(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} characters cut]"


# ---------------------------------------------------------------------------------------------- framing


def _frame(message: dict) -> bytes:
    payload = json.dumps(message, ensure_ascii=True, separators=(",", ":"), check_circular=False).encode("ascii")
    if len(payload) > MAX_MESSAGE:
        raise ProxyError(f"a message of {len(payload)} bytes is over the limit of {MAX_MESSAGE}")
    return len(payload).to_bytes(_HEADER_SIZE, "big") + payload


def _parse(payload: bytes) -> dict:
    try:
        message = json.loads(payload.decode("ascii"))
    except (ValueError, RecursionError) as err:  # not JSON, not ASCII, nested past the parser's stack
        raise ProtocolError(f"the other process sent a message that is not valid: {type(err).__name__}") from None
    if not isinstance(message, dict):
        raise ProtocolError("the other process sent a message that is not an object")
    return message


class _Channel:
    """Frames over a connected stream descriptor, with ``os.read``/``os.write`` (no socket module to import):
    a frame and the next one's start usually come in one read."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()

    def send(self, message: dict) -> None:
        data = memoryview(_frame(message))
        while data:
            data = data[os.write(self.fd, data):]

    def _fill(self, size: int) -> None:
        while len(self._buffer) < size:
            chunk = os.read(self.fd, max(size - len(self._buffer), 65536))
            if not chunk:
                raise EOFError
            self._buffer += chunk

    def recv(self) -> dict:
        self._fill(_HEADER_SIZE)
        size = int.from_bytes(self._buffer[:_HEADER_SIZE], "big")
        if size > MAX_MESSAGE:
            raise ProtocolError(f"the other process announced a message of {size} bytes (limit {MAX_MESSAGE})")
        self._fill(_HEADER_SIZE + size)
        payload = bytes(self._buffer[_HEADER_SIZE:_HEADER_SIZE + size])
        del self._buffer[:_HEADER_SIZE + size]
        return _parse(payload)


# ---------------------------------------------------------------------------------------------- what A may hand out

# Callables and objects of these packages never leave A: they reach files, processes, the interpreter, or the
# test tools themselves (a callback ``os.system`` would let B run programs in A).
_PRIVATE_PACKAGES = frozenset({
    "os", "posix", "nt", "sys", "gc", "io", "_io", "subprocess", "_posixsubprocess", "shutil", "pathlib", "importlib",
    "_imp", "zipimport", "pkgutil", "runpy", "site", "sysconfig", "ctypes", "_ctypes", "inspect", "types", "marshal",
    "pickle", "_pickle", "copyreg", "shelve", "dbm", "socket", "_socket", "ssl", "select", "selectors", "signal",
    "_signal", "mmap", "fcntl", "resource", "pty", "tty", "termios", "multiprocessing", "_multiprocessing",
    "concurrent", "asyncio", "threading", "_thread", "linecache", "traceback", "tokenize", "ast", "_ast", "code",
    "codeop", "dis", "tempfile", "glob", "atexit", "faulthandler", "tracemalloc", "weakref", "_weakref", "gc",
    "unittest", "_pytest", "pytest", "pluggy", "py", "logging", "warnings", "_warnings", "posixpath", "ntpath",
    "genericpath", "zipfile", "tarfile", "gzip", "bz2", "lzma", "sqlite3", "_sqlite3", "http", "urllib", "ftplib",
    "smtplib", "webbrowser", "platform", "getpass", "pwd", "grp", "pdb", "bdb", "trace", "cProfile", "profile",
    "doctest", "python_proxy",
})
_PRIVATE_BUILTINS = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "hasattr", "vars", "globals", "locals", "dir",
    "__import__", "__build_class__", "breakpoint", "input", "help", "exit", "quit", "memoryview", "super", "type",
    "object", "classmethod", "staticmethod", "property",
})
_PRIVATE_TYPES = (types.ModuleType, types.FrameType, types.CodeType, types.TracebackType, types.CellType,
                  types.MappingProxyType, types.GetSetDescriptorType, types.MemberDescriptorType)
_CALLABLE_TYPES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.BuiltinMethodType,
                   types.MethodWrapperType, types.MethodDescriptorType, types.WrapperDescriptorType,
                   types.ClassMethodDescriptorType)


def _package_of(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    if not isinstance(module, str):
        owner = getattr(obj, "__objclass__", None)  # str.upper and the like
        module = getattr(owner, "__module__", None)
    return module.split(".")[0] if isinstance(module, str) else ""


def _private_to_tests(value: object) -> str | None:
    """Why the tests' process must not hand ``value`` to the candidate's process, or None when it may."""
    if isinstance(value, _PRIVATE_TYPES):
        return f"a {type(value).__name__}"
    if isinstance(value, type):
        if value.__module__ == "builtins":
            return None if value.__name__ not in _PRIVATE_BUILTINS else f"the builtin {value.__name__}"
        return f"a class of {_package_of(value)}" if _package_of(value) in _PRIVATE_PACKAGES else None
    if isinstance(value, types.MethodType):
        owner = value.__self__
        if isinstance(owner, _PRIVATE_TYPES) or _package_of(type(owner)) in _PRIVATE_PACKAGES:
            return f"a method of a {type(owner).__name__}"
        return _private_to_tests(value.__func__)
    if isinstance(value, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        owner = getattr(value, "__self__", None)
        if isinstance(owner, types.ModuleType):  # a module's function: builtins.len is fine, os.system is not
            if owner is builtins:
                return f"the builtin {value.__name__}" if value.__name__ in _PRIVATE_BUILTINS else None
            return f"a function of {owner.__name__}" if _package_of(value) in _PRIVATE_PACKAGES or \
                owner.__name__.split(".")[0] in _PRIVATE_PACKAGES else None
        if owner is not None and not isinstance(owner, type) and _package_of(type(owner)) in _PRIVATE_PACKAGES:
            return f"a method of a {type(owner).__name__}"
        return None
    if isinstance(value, _CALLABLE_TYPES):
        return f"a callable of {_package_of(value)}" if _package_of(value) in _PRIVATE_PACKAGES else None
    functools = sys.modules.get("functools")
    if functools is not None and isinstance(value, functools.partial):  # what it wraps is what B would call
        return _private_to_tests(value.func)
    if _package_of(type(value)) in _PRIVATE_PACKAGES:
        return f"a {type(value).__name__} of {_package_of(type(value))}"
    return None


# ---------------------------------------------------------------------------------------------- operations

def _exact_str(value: object) -> str:
    return value if type(value) is str else str.__str__(value)  # a str subclass answer, made plain


def _pow(obj, other, mod=None):
    return pow(obj, other) if mod is None else pow(obj, other, mod)


def _rpow(obj, other, mod=None):
    return pow(other, obj) if mod is None else pow(other, obj, mod)


def _round(obj, ndigits=None):
    return round(obj) if ndigits is None else round(obj, ndigits)


def _exit(obj, exc_type=None, exc=None, tb=None):
    return type(obj).__exit__(obj, exc_type, exc, tb)


# Operation name -> what the owner of the object runs. Binary operators run the owner's full dispatch
# (``operator.add(a, b)``), so a reflected or in-place operator behaves as it would have in one process.
_BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "matmul": operator.matmul,
           "truediv": operator.truediv, "floordiv": operator.floordiv, "mod": operator.mod,
           "lshift": operator.lshift, "rshift": operator.rshift, "and": operator.and_, "xor": operator.xor,
           "or": operator.or_}
_INPLACE = {"add": operator.iadd, "sub": operator.isub, "mul": operator.imul, "matmul": operator.imatmul,
            "truediv": operator.itruediv, "floordiv": operator.ifloordiv, "mod": operator.imod,
            "pow": operator.ipow, "lshift": operator.ilshift, "rshift": operator.irshift, "and": operator.iand,
            "xor": operator.ixor, "or": operator.ior}
_OPS: dict = {
    **_BINARY,
    **{f"r{name}": (lambda f: lambda obj, other: f(other, obj))(f) for name, f in _BINARY.items()},
    **{f"i{name}": f for name, f in _INPLACE.items()},
    "divmod": divmod, "rdivmod": lambda obj, other: divmod(other, obj), "pow": _pow, "rpow": _rpow,
    "neg": operator.neg, "pos": operator.pos, "abs": abs, "invert": operator.invert, "int": int, "float": float,
    "complex": complex, "index": operator.index, "round": _round, "trunc": math.trunc, "floor": math.floor,
    "ceil": math.ceil, "bool": bool, "len": len, "iter": iter, "next": next, "reversed": reversed, "hash": hash,
    "str": lambda obj: _exact_str(str(obj)), "repr": lambda obj: _exact_str(repr(obj)), "bytes": bytes,
    "format": lambda obj, spec="": _exact_str(format(obj, spec)), "dir": lambda obj: list(dir(obj)),
    "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge, "contains": operator.contains, "getitem": operator.getitem, "setitem": operator.setitem,
    "delitem": operator.delitem, "enter": lambda obj: type(obj).__enter__(obj), "exit": _exit,
    "copy": lambda obj: _stdlib("copy").copy(obj), "deepcopy": lambda obj: _stdlib("copy").deepcopy(obj),
}
# What B may ask of A's objects (besides calling a callable and reading a public attribute).
_TESTS_OPS = frozenset({"len", "bool", "iter", "next", "contains", "getitem", "eq", "ne", "hash", "str", "repr",
                        "format", "enter", "exit"})

# Special methods a local proxy class defines when the remote class has them (beyond object's own).
_SPECIAL_OPS = {f"__{name}__": name for name in _OPS if name not in ("dir", "copy", "deepcopy", "enter", "exit")}
_SPECIAL_OPS.update({"__enter__": "enter", "__exit__": "exit", "__call__": "call"})
_SPECIAL_OPS.pop("__format__")  # object has one: forwarded only when the remote class has its own
_SPECIAL_OPS.pop("__str__")
_SPECIAL_OPS.pop("__repr__")


def _class_lookup(cls: type, name: str):
    """``name`` as an instance of ``cls`` finds it (the class's MRO, not its metaclass: every class has a
    ``__call__`` through ``type``)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def _method_names(cls: type) -> list[str]:
    """The plain methods of ``cls`` (functions in its classes' namespaces, not special): the tests' side reads
    them without a round trip."""
    names: list[str] = []
    for klass in cls.__mro__[:-1]:
        names += [n for n, v in vars(klass).items() if type(v) is types.FunctionType and not n.startswith("__")]
    return list(dict.fromkeys(names))[:256]


def _specials(cls: type, allowed: frozenset | None = None) -> list[str]:
    """The special methods of ``cls`` a proxy must forward (those it has beyond object's), and ``-hash`` for
    an unhashable class."""
    names = []
    for name, op in _SPECIAL_OPS.items():
        if allowed is not None and op not in allowed:
            continue
        found = _class_lookup(cls, name)
        if found is not None and found is not vars(object).get(name):
            names.append(name)
    if _class_lookup(cls, "__hash__") is None:
        names = [n for n in names if n != "__hash__"] + ["-hash"]
    for name in ("__str__", "__format__"):
        if _class_lookup(cls, name) is not vars(object)[name] and (allowed is None or name[2:-2] in allowed):
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------------- local proxies


# Names never asked of the other side: the proxy's own, and what pytest probes every imported name for.
_LOCAL_PREFIXES = ("_pg_", "_mock_", "_pytest", "_fixture_function")


class RemoteObject:
    """An object of the other process. Every local proxy class (one per remote class) derives from this one;
    ``type(proxy)._pg_peer`` is the channel it belongs to, ``_pg_methods`` the names of the remote class's plain
    methods: reading one costs no round trip (:class:`RemoteMethod`), calling it one."""

    __slots__ = ("__weakref__",)
    _pg_peer: "Peer"
    _pg_methods: frozenset = frozenset()

    def __getattr__(self, name: str):
        if name.startswith(_LOCAL_PREFIXES):
            raise AttributeError(name)
        if name in type(self)._pg_methods:
            return RemoteMethod(self, name)
        return type(self)._pg_peer.request("getattr", self, name)

    def __setattr__(self, name: str, value) -> None:
        type(self)._pg_peer.request("setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        type(self)._pg_peer.request("delattr", self, name)

    def __repr__(self) -> str:
        return type(self)._pg_peer.request("op", self, "repr")

    def __dir__(self):
        return type(self)._pg_peer.request("op", self, "dir")

    def __copy__(self):
        return type(self)._pg_peer.request("op", self, "copy")

    def __deepcopy__(self, memo):
        return type(self)._pg_peer.request("op", self, "deepcopy")

    def __reduce_ex__(self, protocol):
        raise TypeError("an object of the other process cannot be pickled")


def _forwarder(dunder: str, op: str):
    if op == "call":
        def method(self, *args, **kwargs):
            return type(self)._pg_peer.request("call", self, args, kwargs)
    elif op == "exit":  # a traceback object never travels
        def method(self, exc_type=None, exc=None, tb=None):
            return type(self)._pg_peer.request("op", self, "exit", exc_type, exc, None)
    elif op in ("eq", "ne", "lt", "le", "gt", "ge"):
        def method(self, other):
            try:
                return type(self)._pg_peer.request("op", self, op, other)
            except _Unsendable:  # compared with something that stays here: as object() would answer
                return NotImplemented
    else:
        def method(self, *args):
            return type(self)._pg_peer.request("op", self, op, *args)
    method.__name__ = method.__qualname__ = dunder
    return method


_FORWARDERS = {dunder: _forwarder(dunder, op) for dunder, op in {**_SPECIAL_OPS, "__str__": "str",
                                                                    "__format__": "format"}.items()}


class RemoteMethod:
    """``proxy.name`` for a plain method of the remote class: called, the candidate's process reads the attribute
    and calls it at once (``getattr(obj, name)(...)``, so an instance attribute of that name still wins). Equal
    to another for the same object and name, as bound methods are."""

    __slots__ = ("_pg_self", "_pg_name")

    def __init__(self, obj: RemoteObject, name: str) -> None:
        self._pg_self, self._pg_name = obj, name

    @property
    def __name__(self) -> str:
        return self._pg_name

    def __call__(self, *args, **kwargs):
        return type(self._pg_self)._pg_peer.request("callmethod", self._pg_self, self._pg_name, args, kwargs)

    def _pg_resolve(self):
        """The remote bound method itself (to hand it on as a value)."""
        return type(self._pg_self)._pg_peer.request("getattr", self._pg_self, self._pg_name)

    def __getattr__(self, name: str):
        if name.startswith("_pg_"):
            raise AttributeError(name)
        return getattr(self._pg_resolve(), name)

    def __eq__(self, other) -> bool:
        return type(other) is RemoteMethod and other._pg_self is self._pg_self and other._pg_name == self._pg_name

    def __hash__(self) -> int:
        return hash((id(self._pg_self), self._pg_name))

    def __repr__(self) -> str:
        return f"<bound method {self._pg_name} of {self._pg_self!r}>"


class RemoteClass(type):
    """The metaclass of local proxy classes: the class itself forwards construction, reading, setting and
    deleting class attributes, and class-level iteration, len, getitem, contains and reversed (enums)."""

    def __call__(cls, *args, **kwargs):
        return cls._pg_peer.request("call", cls, args, kwargs)

    def __getattr__(cls, name: str):
        if name.startswith(_LOCAL_PREFIXES) or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        return cls._pg_peer.request("getattr", cls, name)

    def __iter__(cls):
        return cls._pg_peer.request("op", cls, "iter")

    def __len__(cls):
        return cls._pg_peer.request("op", cls, "len")

    def __getitem__(cls, key):
        return cls._pg_peer.request("op", cls, "getitem", key)

    def __contains__(cls, item):
        return cls._pg_peer.request("op", cls, "contains", item)

    def __reversed__(cls):
        return cls._pg_peer.request("op", cls, "reversed")

    def __bool__(cls) -> bool:
        return True

    def __setattr__(cls, name: str, value) -> None:
        if name.startswith("_pg_") or (name.startswith("__") and name.endswith("__")):
            type.__setattr__(cls, name, value)  # the local class's own bookkeeping
        else:
            cls._pg_peer.request("setattr", cls, name, value)

    def __delattr__(cls, name: str) -> None:
        if name.startswith("_pg_") or (name.startswith("__") and name.endswith("__")):
            type.__delattr__(cls, name)
        else:
            cls._pg_peer.request("delattr", cls, name)


class RemoteFunction:
    """A function (or method, or builtin) of the other process."""

    __slots__ = ("_pg_name", "__weakref__")
    _pg_peer: "Peer"

    @property
    def __name__(self) -> str:
        return self._pg_name

    def __call__(self, *args, **kwargs):
        return type(self)._pg_peer.request("call", self, args, kwargs)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # pytest's probes (__wrapped__, __test__, _mock_name): a function has none
            raise AttributeError(name)
        return type(self)._pg_peer.request("getattr", self, name)

    def __repr__(self) -> str:
        return f"<function {self._pg_name} of the {type(self)._pg_peer.peer_name}>"

    def __reduce_ex__(self, protocol):
        raise TypeError("a function of the other process cannot be pickled")


class RemoteModule(types.ModuleType):
    """A module of the candidate's process: its attributes are fetched when read (module constants by value)."""

    _pg_peer: "Peer"

    def __getattr__(self, name: str):
        if name.startswith("_pg_") or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        return type(self)._pg_peer.request("getattr", self, name)

    def __setattr__(self, name: str, value) -> None:
        if name.startswith("__") and name.endswith("__"):
            super().__setattr__(name, value)  # the import system's bookkeeping stays local
        else:
            type(self)._pg_peer.request("setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        if name.startswith("__") and name.endswith("__"):
            super().__delattr__(name)
        else:
            type(self)._pg_peer.request("delattr", self, name)

    def __dir__(self):
        return type(self)._pg_peer.request("op", self, "dir")


class _Capture(io.TextIOBase):
    """B's stdout or stderr: what the candidate prints travels back with the next message, up to
    :data:`MAX_TEXT` characters a message (the rest is cut, and says so)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._parts: list[str] = []
        self._size = 0
        self._cut = 0
        self._lock = _thread.allocate_lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            room = MAX_TEXT - self._size
            self._parts.append(text[:room])
            self._size += min(len(text), room)
            self._cut += max(0, len(text) - room)
        return len(text)

    def drain(self) -> str:
        with self._lock:
            text = "".join(self._parts)
            if self._cut:
                text += f"\n[{self._cut} more characters printed in the candidate's process were cut]\n"
            self._parts, self._size, self._cut = [], 0, 0
        return text


# ---------------------------------------------------------------------------------------------- the channel


class Peer:
    """One end of the channel. ``role`` is ``"tests"`` (A: trusted; serves B only the allow-list above) or
    ``"candidate"`` (B: serves A anything on its own objects)."""

    def __init__(self, channel, role: str) -> None:
        """``channel``: the connected descriptor, or a socket object (kept, so that it stays open)."""
        if role not in ("tests", "candidate"):
            raise ValueError(f"role must be 'tests' or 'candidate', not {role!r}")
        self.sock = channel
        self._channel = _Channel(channel if isinstance(channel, int) else channel.fileno())
        self.role = role
        self.peer_name = "candidate's process" if role == "tests" else "tests' process"
        self._lock = _thread.RLock()
        self._serving_thread: int | None = None
        self._broken: str | None = None
        self._next_request = 0
        self._exports: dict[int, object] = {}  # handle -> our object
        self._export_ids: dict[object, int] = {}  # identity key -> handle
        self._imports: dict[int, object] = {}  # the peer's handle -> our proxy or mirror
        self._mirror_of: dict[int, int] = {}  # id(proxy or mirror) -> the peer's handle
        self._generic_classes: dict[tuple, type] = {}
        self._function_class = type("RemoteFunction", (RemoteFunction,), {"__slots__": (), "_pg_peer": self})
        self._module_class = type("RemoteModule", (RemoteModule,), {"_pg_peer": self})
        self._output_left = MAX_OUTPUT
        self.stdout: _Capture | None = None
        self.stderr: _Capture | None = None

    # ------------------------------------------------------------------ requests

    def import_module(self, name: str) -> types.ModuleType:
        """The proxy module of the candidate's module ``name`` (A only)."""
        if self.role != "tests":
            raise ProxyError("only the tests' process imports the candidate's modules")
        # The star import's names: the module's __all__, else its public names (computed in B, as Python would).
        module, names = self.request("import", None, name)
        if not isinstance(module, RemoteModule) or not isinstance(names, list) or \
                not all(isinstance(n, str) for n in names):
            raise ProtocolError(f"the candidate's process answered the import of {name!r} with something else")
        types.ModuleType.__setattr__(module, "__all__", [n for n in names if n.isidentifier()])
        return module

    def request(self, op: str, target, *args):
        """Ask the peer to run ``op`` on its object ``target`` (one of our proxies); returns the answer, or raises
        the exception the peer's code raised."""
        with self._lock:
            allowed = (_thread.get_ident(),) if self.role == "candidate" else (None, _thread.get_ident())
            if self._serving_thread not in allowed:
                raise ProxyError("only the thread that serves the tests' call may call back into the tests")
            if self._broken:
                raise ProxyError(f"the channel to the {self.peer_name} is closed: {self._broken}")
            self._next_request += 1
            rid = self._next_request
            message = {"q": rid, "op": op}
            if target is not None:
                message["t"] = self._target_id(target)
            if op == "callmethod":
                message["n"], args = args[0], args[1:]
            if op in ("call", "callmethod"):
                message["p"] = self._encode(tuple(args[0]))
                message["k"] = self._encode(dict(args[1]))
            else:
                message["p"] = [self._encode(a) for a in args]
            self._send(message)
            return self._await(rid)

    def _target_id(self, proxy) -> int:
        pid = self._mirror_of.get(id(proxy))
        if pid is None or self._imports.get(pid) is not proxy:
            raise ProxyError("not an object of the other process")
        return pid

    def _await(self, rid: int):
        while True:
            message = self._recv()
            if "a" in message:
                if message["a"] != rid:
                    self._break(f"an answer to request {message['a']!r} came while {rid} was awaited")
                if "e" in message:
                    exc = self._decode_raised(message["e"])
                    raise exc
                if "v" not in message:
                    self._break("an answer without a value or an exception")
                return self._decode_checked(message["v"])
            if "q" in message:
                self._serve(message)
                continue
            self._break("a message that is neither a request nor an answer")

    # ------------------------------------------------------------------ serving

    def serve_forever(self) -> None:
        """B's loop: answer the tests' requests until the channel closes."""
        try:
            while True:
                message = self._recv()
                if "q" not in message:
                    return  # an answer nobody asked for: the tests' side is not talking this protocol
                self._serve(message)
        except ProxyError:  # the tests' process closed the channel (the run is over) or broke it
            return

    def _serve(self, message: dict) -> None:
        rid = message.get("q")
        if type(rid) is not int:
            self._break("a request without a numeric id")
        previous = self._serving_thread
        self._serving_thread = _thread.get_ident()
        try:
            try:
                reply = {"a": rid, "v": self._encode(self._dispatch(message))}
            except BaseException as exc:  # noqa: BLE001 - the requester gets it, whatever it is (SystemExit too)
                if self._broken:
                    raise
                reply = {"a": rid, "e": self._encode_raised(exc)}
            try:
                self._send(reply)
            except ProxyError as err:  # an answer over the limit: say so instead
                if self._broken:
                    raise
                self._send({"a": rid, "e": self._encode_raised(err)})
        finally:
            self._serving_thread = previous

    def _dispatch(self, message: dict):
        op = message.get("op")
        args = message.get("p", [])
        if op == "import":
            return self._import(args)
        target = self._exports.get(message.get("t")) if type(message.get("t")) is int else None
        if target is None:
            raise ProtocolError(f"a request {op!r} for an object this process never handed out")
        if self.role == "tests" and isinstance(target, BaseException):
            # Exceptions are handed out for their identity only (an assertion's message stays here).
            raise PermissionError("the tests' process does not answer requests on its exceptions")
        if op in ("call", "callmethod"):
            call_args, kwargs = self._decode_checked(args), self._decode_checked(message.get("k", ["D"]))
            if type(call_args) is not tuple or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                raise ProtocolError("a call whose arguments are not a tuple and a dict of names")
            if op == "callmethod":
                if self.role != "candidate" or type(message.get("n")) is not str:
                    raise PermissionError("the tests' process answers no method call by name")
                return getattr(target, message["n"])(*call_args, **kwargs)
            self._check_call(target)
            return target(*call_args, **kwargs)
        if type(args) is not list:
            raise ProtocolError("a request whose arguments are not a list")
        values = [self._decode_checked(a) for a in args]
        if op in ("getattr", "setattr", "delattr"):
            if not values or type(values[0]) is not str:
                raise ProtocolError(f"{op} without an attribute name")
            return self._attribute(op, target, values[0], values[1:])
        if op == "op" and values and type(values[0]) is str and values[0] in _OPS:
            name = values[0]
            self._check_op(target, name)
            if self.role == "tests" and name in ("str", "repr", "format") and isinstance(target, _CALLABLE_TYPES):
                return f"<function {_clean_name(getattr(target, '__name__', 'callback'))}>"
            return _OPS[name](target, *values[1:])
        raise ProtocolError(f"an unknown request {op!r}")

    def _import(self, args) -> tuple:
        if self.role != "candidate":
            raise PermissionError("the candidate's process may not import modules in the tests' process")
        if type(args) is not list or len(args) != 1 or type(args[0]) is not str or not args[0].isidentifier():
            raise ProtocolError("an import without a module name")
        module = _stdlib("importlib").import_module(args[0])
        names = getattr(module, "__all__", None)
        if not (isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names)):
            names = [n for n in vars(module) if not n.startswith("_")]
        return module, list(names)

    # What B may do to A's objects: the allow-list (module docstring, "Refused").

    def _check_call(self, target) -> None:
        if self.role == "tests":
            why = _private_to_tests(target)
            if why is not None or not callable(target):
                raise PermissionError(f"the tests' process does not call {why or 'this object'} for the candidate")

    def _check_op(self, target, name: str) -> None:
        if self.role == "tests" and name not in _TESTS_OPS:
            raise PermissionError(f"the tests' process does not run {name!r} on its objects for the candidate")

    def _attribute(self, op: str, target, name: str, values: list):
        if self.role == "candidate":
            if op == "getattr":
                return getattr(target, name)
            if op == "setattr" and len(values) == 1:
                return setattr(target, name, values[0])
            if op == "delattr":
                return delattr(target, name)
            raise ProtocolError(f"a malformed {op}")
        if op != "getattr" or name.startswith("_"):
            raise AttributeError(f"the tests' process does not {op[:3]} {name!r} of its objects for the candidate")
        value = getattr(target, name)
        if not self._plain(value, 0):
            raise AttributeError(f"attribute {name!r} of the tests' object is neither plain data nor a callable")
        return value

    def _plain(self, value, depth: int) -> bool:
        """Whether A may answer an attribute read with ``value``: plain data and callables only."""
        if depth > MAX_DEPTH:
            return False
        kind = type(value)
        if kind in _SCALARS or (_encoder(kind) is not None and kind not in _CONTAINERS):
            return True
        if kind in _CONTAINERS:
            items = value.items() if isinstance(value, dict) else ((v, None) for v in value)
            return all(self._plain(k, depth + 1) and self._plain(v, depth + 1) for k, v in items)
        return callable(value) and not isinstance(value, BaseException) and _private_to_tests(value) is None

    # ------------------------------------------------------------------ messages

    def _send(self, message: dict) -> None:
        if self.stdout is not None:  # B: what the candidate printed goes with every message
            out, err = self.stdout.drain(), self.stderr.drain()
            if out or err:
                message["o"] = [out, err]
        try:
            self._channel.send(message)
        except OSError as err:
            self._break(f"cannot write to it ({err.strerror or err})")

    def _recv(self) -> dict:
        try:
            message = self._channel.recv()
        except EOFError:
            self._break("it ended")
        except OSError as err:
            self._break(f"cannot read from it ({err.strerror or err})")
        except ProtocolError as err:
            self._break(str(err))
        if self.role == "tests" and "o" in message:
            self._write_output(message.pop("o"))
        return message

    def _write_output(self, output) -> None:
        if type(output) is not list or len(output) != 2 or not all(type(t) is str for t in output):
            self._break("output that is not two strings")
        for text, stream in zip(output, (sys.stdout, sys.stderr)):
            if text and stream is not None and self._output_left > 0:
                stream.write(text[:self._output_left])
                self._output_left -= len(text)
                if self._output_left <= 0:
                    stream.write(f"\n[the candidate's output is cut here: over {MAX_OUTPUT} characters]\n")

    def _break(self, reason: str):
        """The channel lost its footing (ended, unreadable, out of step): this call and every later one fail."""
        self._broken = self._broken or reason
        raise ProtocolError(f"the channel to the {self.peer_name} failed: {reason}") from None

    # ------------------------------------------------------------------ encoding

    def _encode(self, value, depth: int = 0):
        if depth > MAX_DEPTH:
            raise ProxyError(f"a value nested more than {MAX_DEPTH} levels deep")
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if kind is int:
            return value if -_BIG < value < _BIG else ["I", format(value, "x")]
        if kind is float:
            return value
        encoder = _encoder(kind)
        if encoder is not None:
            return encoder(self, value, depth + 1)
        if kind is RemoteMethod:
            value = value._pg_resolve()  # handed on: the remote bound method itself
        pid = self._mirror_of.get(id(value))
        if pid is not None and self._imports.get(pid) is value:
            return ["O", pid]  # the peer's own object, going home
        if kind is type and value.__module__ == "builtins" and getattr(builtins, value.__name__, None) is value:
            return ["Y", value.__name__]
        if isinstance(value, BaseException):
            return self._encode_exception(value, depth + 1, raised=False)
        return ["R", self._export(value), self._meta(value, depth + 1)]

    def _encode_class(self, cls: type, depth: int) -> list:
        """A handle to ``cls`` with its description, builtin or not (an instance's class, an exception's base)."""
        return ["R", self._export(cls), self._meta(cls, depth)]

    def _items(self, values, depth: int) -> list:
        return [self._encode(v, depth) for v in values]

    def _export(self, value, check: bool = True) -> int:
        if check and self.role == "tests":
            why = _private_to_tests(value)
            if why is not None:
                raise _Unsendable(f"the tests' process does not hand {why} to the candidate's process")
        # A bound method is a new object at every attribute read; ``obj.cb`` passed twice must be one handle.
        if type(value) is types.MethodType:
            key = ("m", id(value.__self__), id(value.__func__))
        elif type(value) is types.BuiltinMethodType and not isinstance(value.__self__, (types.ModuleType, type(None))):
            key = ("b", id(value.__self__), value.__name__)
        else:
            key = id(value)
        pid = self._export_ids.get(key)
        if pid is None:
            pid = len(self._exports) + 1
            self._exports[pid] = value  # kept alive for the run: ids are never reused
            self._export_ids[key] = pid
        return pid

    def _meta(self, value, depth: int) -> dict:
        if isinstance(value, types.ModuleType):
            return {"k": "m", "n": value.__name__}
        if isinstance(value, type):
            meta = {"k": "c", "n": value.__name__, "m": value.__module__}
            if issubclass(value, BaseException):
                meta["k"] = "e"
                meta["b"] = [self._exception_base(b, depth) for b in value.__bases__]
            elif self.role == "tests":  # B need not mirror the tests' classes: a class is a callable there
                return {"k": "f", "n": value.__name__}
            else:
                meta["b"] = [self._encode_class(b, depth) for b in value.__bases__ if b.__module__ != "builtins"]
                meta["s"] = _specials(value)
                meta["fn"] = _method_names(value)
            return meta
        if isinstance(value, _CALLABLE_TYPES) or type(value).__name__ == "partial":
            return {"k": "f", "n": getattr(value, "__name__", type(value).__name__)}
        if self.role == "tests":
            return {"k": "o", "n": type(value).__name__, "s": _specials(type(value), _TESTS_OPS | {"call"})}
        return {"k": "o", "c": self._encode_class(type(value), depth)}

    def _exception_base(self, base: type, depth: int):
        if base.__module__ == "builtins":
            return base.__name__
        return self._encode_class(base, depth)

    def _encode_exception(self, exc: BaseException, depth: int, raised: bool) -> list:
        mirrored = self._mirror_of.get(id(exc))
        if mirrored is not None and self._imports.get(mirrored) is exc:
            return ["O", mirrored]  # the peer's exception, going home: re-raised there as itself
        pid = self._export(exc, check=False)  # for its identity only: A answers no request on an exception
        cls = type(exc)
        opaque = self.role == "tests" and (isinstance(exc, AssertionError) or _package_of(cls) in _PRIVATE_PACKAGES)
        if cls.__module__ == "builtins":
            cls_data = cls.__name__
        elif isinstance(exc, (ProxyError, RemoteError)):  # the proxy's own: the same class on the other side
            cls_data = "ProxyError" if isinstance(exc, ProxyError) else "RemoteError"
        elif opaque:
            cls_data = "AssertionError" if isinstance(exc, AssertionError) else "Exception"
        else:
            try:
                cls_data = self._encode_class(cls, depth)
            except ProxyError:
                cls_data = next(c.__name__ for c in cls.__mro__ if c.__module__ == "builtins")
        text = "" if opaque else _short(_safe_str(exc))
        try:
            args = ["T"] if opaque else self._encode(tuple(exc.args), depth)
        except (ProxyError, TypeError):
            args = ["T", text]
        attrs = ["D"]
        if not opaque:
            for name, value in list(getattr(exc, "__dict__", {}).items())[:64]:
                if isinstance(name, str) and name.isidentifier() and not name.startswith("_"):
                    try:
                        attrs += [name, self._encode(value, depth)]
                    except ProxyError:
                        pass
        tb = _remote_traceback(exc) if raised and self.role == "candidate" else ""
        return ["X", cls_data, args, text, attrs, pid, tb]

    def _encode_raised(self, exc: BaseException) -> list:
        try:
            return self._encode_exception(exc, 1, raised=True)
        except Exception as err:  # noqa: BLE001 - even an exception that cannot travel must be answered
            return ["X", "ProxyError", ["T", f"an exception that cannot be carried: {type(err).__name__}"],
                    "an exception that cannot be carried", ["D"], 0, ""]

    # ------------------------------------------------------------------ decoding

    def _decode_checked(self, data):
        try:
            return self._decode(data, 0)
        except ProtocolError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, ArithmeticError) as err:  # decimal's are too
            # A value that cannot be built (a list as a dict key, a month 13): this call fails, the channel stays.
            raise ProtocolError(f"the {self.peer_name} sent a value that cannot be rebuilt: "
                                f"{type(err).__name__}: {_short(str(err), 200)}") from None

    def _decode(self, data, depth: int):
        if depth > MAX_DEPTH + 2:
            raise ProtocolError(f"a value nested more than {MAX_DEPTH} levels deep")
        kind = type(data)
        if data is None or kind is bool or kind is int or kind is float or kind is str:
            return data
        if kind is not list or not data or type(data[0]) is not str:
            raise ProtocolError("a value of an unknown form")
        decoder = _DECODERS.get(data[0])
        if decoder is None:
            raise ProtocolError(f"a value of an unknown kind {_short(data[0], 20)!r}")
        return decoder(self, data, depth + 1)

    def _values(self, data: list, depth: int) -> list:
        return [self._decode(v, depth) for v in data[1:]]

    def _decode_ref(self, data: list, depth: int):
        if len(data) != 3 or type(data[1]) is not int or type(data[2]) is not dict:
            raise ProtocolError("a malformed handle")
        pid, meta = data[1], data[2]
        known = self._imports.get(pid)
        if known is not None:
            return known
        kind = meta.get("k")
        if kind == "f":
            proxy = object.__new__(self._function_class)
            object.__setattr__(proxy, "_pg_name", _clean_name(meta.get("n"), "function"))
        elif kind == "m":
            proxy = self._module_class(_clean_module(meta.get("n")))
        elif kind == "c":
            proxy = self._remote_class(meta, depth, pid)
        elif kind == "e":
            proxy = self._exception_class(meta, depth, pid)
        elif kind == "o":
            if self.role == "tests":
                cls = self._decode(meta.get("c"), depth)
                if not isinstance(cls, RemoteClass) or cls._pg_peer is not self:
                    raise ProtocolError("an object whose class is not one of its process's classes")
            else:
                cls = self._generic_class(meta)
            proxy = object.__new__(cls)
        else:
            raise ProtocolError("a handle of an unknown kind")
        return self._remember(pid, proxy)

    def _remember(self, pid: int, local):
        self._imports[pid] = local
        self._mirror_of[id(local)] = pid
        return local

    def _decode_own(self, data: list, depth: int):
        if len(data) != 2 or type(data[1]) is not int or data[1] not in self._exports:
            raise ProtocolError("a handle of this process's that it never handed out")
        return self._exports[data[1]]

    def _specials_of(self, meta: dict) -> list[str]:
        names = meta.get("s", [])
        if type(names) is not list:
            raise ProtocolError("a class description whose special methods are not a list")
        return [n for n in names if type(n) is str and (n in _FORWARDERS or n == "-hash")]

    def _namespace(self, meta: dict, name: str) -> dict:
        methods = meta.get("fn", [])
        namespace = {"__slots__": (), "__module__": _clean_module(meta.get("m")), "__qualname__": name,
                     "_pg_peer": self,
                     "_pg_methods": frozenset(n for n in methods if type(n) is str and n.isidentifier())
                     if type(methods) is list else frozenset()}
        for special in self._specials_of(meta):
            if special == "-hash":
                namespace["__hash__"] = None
            else:
                namespace[special] = _FORWARDERS[special]
        if "__eq__" in namespace and "__hash__" not in namespace and "-hash" not in self._specials_of(meta):
            namespace["__hash__"] = RemoteObject.__hash__  # a class with __eq__ and object's hash keeps it
        return namespace

    def _remote_class(self, meta: dict, depth: int, pid: int) -> type:
        name = _clean_name(meta.get("n"))
        bases_data = meta.get("b", [])
        if type(bases_data) is not list:
            raise ProtocolError("a class description whose bases are not a list")
        bases = []
        for data in bases_data[:16]:
            base = self._decode(data, depth)
            if isinstance(base, RemoteClass) and base._pg_peer is self and base not in bases:
                bases.append(base)
        namespace = self._namespace(meta, name)
        try:
            return RemoteClass(name, tuple(bases) or (RemoteObject,), namespace)
        except TypeError:  # no consistent order of the mirrored bases: the class alone still works
            return RemoteClass(name, (RemoteObject,), namespace)

    def _generic_class(self, meta: dict) -> type:
        """B's local class for an object of the tests' (by name and special methods; never a class handle)."""
        name = _clean_name(meta.get("n"))
        key = (name, tuple(self._specials_of(meta)))
        cls = self._generic_classes.get(key)
        if cls is None:
            cls = self._generic_classes[key] = RemoteClass(name, (RemoteObject,), self._namespace(meta, name))
        return cls

    def _exception_class(self, meta: dict, depth: int, pid: int) -> type:
        """A real local exception class for a remote one, subclassing the mirrored remote bases or the nearest
        builtin exception class: ``assertRaises(module.Error)`` catches what B raised."""
        name = _clean_name(meta.get("n"), "RemoteException")
        bases_data = meta.get("b", [])
        if type(bases_data) is not list:
            raise ProtocolError("an exception class description whose bases are not a list")
        bases: list[type] = []
        for data in bases_data[:16]:
            base = _builtin_exception(data) if type(data) is str else self._decode(data, depth)
            if isinstance(base, type) and issubclass(base, Exception) and base not in bases:
                bases.append(base)
        namespace = {"__module__": _clean_module(meta.get("m")), "__qualname__": name, "__str__": _mirror_str}
        try:
            return type(name, tuple(bases) or (Exception,), namespace)
        except TypeError:
            return type(name, (bases[0] if bases else Exception,), namespace)

    def _decode_exception(self, data: list, depth: int) -> BaseException:
        if len(data) != 7 or type(data[3]) is not str or type(data[5]) is not int or type(data[6]) is not str:
            raise ProtocolError("a malformed exception")
        _, cls_data, args_data, text, attrs_data, pid, tb = data
        known = self._imports.get(pid) if pid else None
        if isinstance(known, BaseException):
            return known
        if type(cls_data) is str:
            cls = _builtin_exception(cls_data)
            if cls is RemoteError:  # SystemExit and the like: a plain failure here, named
                exc = RemoteError(f"{_clean_name(cls_data)} in the {self.peer_name}: {_short(text, 2000)}")
                return self._remember(pid, exc) if pid else exc
        else:
            cls = self._decode(cls_data, depth)
            if not (isinstance(cls, type) and issubclass(cls, BaseException)):
                raise ProtocolError("an exception whose class is not an exception class")
        args = self._decode(args_data, depth)
        attrs = self._decode(attrs_data, depth)
        if type(args) is not tuple or type(attrs) is not dict:
            raise ProtocolError("an exception whose arguments or attributes are malformed")
        exc = _make_exception(cls, args, text)
        if getattr(cls, "__str__", None) is _mirror_str:
            exc.__dict__["_pg_text"] = _short(text)
        for name, value in attrs.items():
            if type(name) is str and name.isidentifier() and not name.startswith("_") and not hasattr(cls, name):
                try:
                    setattr(exc, name, value)
                except (AttributeError, TypeError):
                    pass
        if tb and self.role == "tests" and hasattr(exc, "add_note"):  # notes: Python 3.11 on
            exc.add_note(_short(tb, 8000))
        return self._remember(pid, exc) if pid else exc

    def _decode_raised(self, data) -> BaseException:
        """The exception of an answer: rebuilt, or this process's own going home."""
        exc = self._decode_checked(data)
        if not isinstance(exc, BaseException):
            raise ProtocolError("an exception answer that is not an exception")
        return exc


def _safe_str(exc: BaseException) -> str:
    try:
        return _exact_str(str(exc))
    except Exception:  # noqa: BLE001 - a broken __str__ of the candidate's
        return f"<{type(exc).__name__} whose str() failed>"


def _mirror_str(self) -> str:
    text = self.__dict__.get("_pg_text")
    return text if isinstance(text, str) else BaseException.__str__(self)


def _builtin_exception(name: str) -> type:
    """The builtin exception class called ``name``; RemoteError for SystemExit, KeyboardInterrupt and the like
    (the candidate must not end the tests' run) and for a name that is not one."""
    if name in ("ProxyError", "RemoteError"):
        return ProxyError if name == "ProxyError" else RemoteError
    found = getattr(builtins, name, None) if name.isidentifier() else None
    if isinstance(found, type) and issubclass(found, Exception):
        return found
    return RemoteError


def _make_exception(cls: type, args: tuple, text: str) -> BaseException:
    """An instance of ``cls`` with ``args``, whatever its constructor wants (a mirror class has a builtin one)."""
    try:
        exc = cls(*args)
    except Exception:  # noqa: BLE001 - UnicodeDecodeError and friends need exact arguments
        try:
            exc = cls.__new__(cls)
        except Exception:  # noqa: BLE001
            return RemoteError(f"{cls.__name__}: {text}")
    if exc.args != args:
        try:
            exc.args = args
        except (TypeError, AttributeError):
            pass
    return exc


def _remote_traceback(exc: BaseException) -> str:
    """B's traceback of ``exc`` without the proxy's own frames, for A's report (a note on the exception)."""
    here = os.path.abspath(__file__)
    import traceback  # only when the candidate raised

    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != here]
    if not frames:
        return ""
    lines = traceback.format_list(frames[-8:])
    return _short("Traceback in the candidate's process (most recent call last):\n" + "".join(lines).rstrip(), 4000)


# ---------------------------------------------------------------------------------------------- value codec


def _enc_seq(tag: str):
    return lambda peer, value, depth: [tag, *peer._items(value, depth)]


def _enc_dict(tag: str):
    def encode(peer, value, depth):
        out = [tag]
        for k, v in value.items():
            out.append(peer._encode(k, depth))
            out.append(peer._encode(v, depth))
        return out
    return encode


def _enc_datetime(peer, value, depth):
    return ["dt", value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond,
            _offset(value.tzinfo, value), value.fold]


def _enc_time(peer, value, depth):
    return ["tm", value.hour, value.minute, value.second, value.microsecond, _offset(value.tzinfo, None), value.fold]


def _offset(tz, moment):
    if tz is None:
        return None
    if type(tz) is not sys.modules["datetime"].timezone:
        raise ProxyError("a datetime with a tzinfo other than a fixed offset")
    return tz.utcoffset(moment).total_seconds()


_SCALARS = frozenset({type(None), bool, int, float, str})
_ENCODERS: dict = {
    list: _enc_seq("L"), tuple: _enc_seq("T"), set: _enc_seq("S"), frozenset: _enc_seq("Z"), dict: _enc_dict("D"),
    complex: lambda p, v, d: ["C", v.real, v.imag],
    bytes: lambda p, v, d: ["B", v.hex()],
    bytearray: lambda p, v, d: ["BA", v.hex()],
    range: lambda p, v, d: ["G", p._encode(v.start, d), p._encode(v.stop, d), p._encode(v.step, d)],
}
_CONTAINERS = {list, tuple, set, frozenset, dict}


def _stdlib_codecs(module: str) -> None:
    """Register the encoders of a standard module's value types, once it is loaded (a value of one of its types
    can only exist after that)."""
    mod = sys.modules[module]
    if module == "datetime":
        _ENCODERS.update({mod.datetime: _enc_datetime, mod.date: lambda p, v, d: ["da", v.year, v.month, v.day],
                          mod.time: _enc_time,
                          mod.timedelta: lambda p, v, d: ["td", v.days, v.seconds, v.microseconds]})
    elif module == "decimal":
        _ENCODERS[mod.Decimal] = lambda p, v, d: ["N", str(v)]
    elif module == "fractions":
        _ENCODERS[mod.Fraction] = lambda p, v, d: ["Q", p._encode(v.numerator, d), p._encode(v.denominator, d)]
    elif module == "collections":
        _ENCODERS.update({mod.Counter: _enc_dict("K"), mod.OrderedDict: _enc_dict("OD"),
                          mod.deque: lambda p, v, d: ["DQ", v.maxlen, *p._items(v, d)]})
        _CONTAINERS.update({mod.Counter, mod.OrderedDict, mod.deque})
    _STDLIB_PENDING.discard(module)


_STDLIB_PENDING = {"datetime", "decimal", "fractions", "collections"}


def _encoder(kind: type):
    encoder = _ENCODERS.get(kind)
    if encoder is None and kind.__module__ in _STDLIB_PENDING and kind.__module__ in sys.modules:
        _stdlib_codecs(kind.__module__)
        encoder = _ENCODERS.get(kind)
    return encoder


def _stdlib(name: str):
    """A standard module that only some runs need (imported on first use)."""
    module = sys.modules.get(name)
    if module is None:
        import importlib

        module = importlib.import_module(name)
    if name in _STDLIB_PENDING:
        _stdlib_codecs(name)
    return module


def _ints(data: list, count: int) -> list:
    if len(data) != count + 1 or not all(type(v) is int for v in data[1:]):
        raise ProtocolError(f"a malformed {data[0]!r} value")
    return data[1:]


def _tz(offset):
    if offset is None:
        return None
    if type(offset) not in (int, float):
        raise ProtocolError("a malformed time zone offset")
    datetime = _stdlib("datetime")
    return datetime.timezone(datetime.timedelta(seconds=offset))


def _dec_pairs(peer, data, depth) -> list:
    if len(data) % 2 != 1:
        raise ProtocolError("a dict with a key but no value")
    values = peer._values(data, depth)
    return list(zip(values[::2], values[1::2]))


def _dec_text(data: list) -> str:
    if len(data) != 2 or type(data[1]) is not str:
        raise ProtocolError(f"a malformed {data[0]!r} value")
    return data[1]


def _dec_datetime(peer, data, depth):
    if len(data) != 10 or type(data[9]) is not int:
        raise ProtocolError("a malformed datetime")
    fields = _ints(data[:8], 7)
    return _stdlib("datetime").datetime(*fields, tzinfo=_tz(data[8]), fold=data[9])


def _dec_time(peer, data, depth):
    if len(data) != 7 or type(data[6]) is not int:
        raise ProtocolError("a malformed time")
    return _stdlib("datetime").time(*_ints(data[:5], 4), tzinfo=_tz(data[5]), fold=data[6])


def _dec_float_pair(data: list) -> complex:
    if len(data) != 3 or not all(type(v) in (int, float) for v in data[1:]):
        raise ProtocolError("a malformed complex")
    return complex(data[1], data[2])


def _dec_builtin_type(peer, data, depth) -> type:
    found = getattr(builtins, _dec_text(data), None)
    if not isinstance(found, type):
        raise ProtocolError("a builtin type that is not one")
    return found


def _dec_deque(peer, data, depth):
    if len(data) < 2 or not (data[1] is None or type(data[1]) is int):
        raise ProtocolError("a malformed deque")
    return _stdlib("collections").deque(peer._values(data[1:], depth), data[1])


def _dec_int(peer, data, depth) -> int:
    text = _dec_text(data)
    if not re.fullmatch(r"-?[0-9a-f]+", text):
        raise ProtocolError("a malformed big int")
    return int(text, 16)


_DECODERS = {
    "L": lambda p, d, n: p._values(d, n),
    "T": lambda p, d, n: tuple(p._values(d, n)),
    "S": lambda p, d, n: set(p._values(d, n)),
    "Z": lambda p, d, n: frozenset(p._values(d, n)),
    "D": lambda p, d, n: dict(_dec_pairs(p, d, n)),
    "K": lambda p, d, n: _stdlib("collections").Counter(dict(_dec_pairs(p, d, n))),
    "OD": lambda p, d, n: _stdlib("collections").OrderedDict(_dec_pairs(p, d, n)),
    "DQ": _dec_deque,
    "I": _dec_int,
    "C": lambda p, d, n: _dec_float_pair(d),
    "B": lambda p, d, n: bytes.fromhex(_dec_text(d)),
    "BA": lambda p, d, n: bytearray.fromhex(_dec_text(d)),
    "G": lambda p, d, n: range(*p._values(d, n)),
    "dt": _dec_datetime,
    "da": lambda p, d, n: _stdlib("datetime").date(*_ints(d, 3)),
    "tm": _dec_time,
    "td": lambda p, d, n: _stdlib("datetime").timedelta(*_ints(d, 3)),
    "N": lambda p, d, n: _stdlib("decimal").Decimal(_dec_text(d)),
    "Q": lambda p, d, n: _stdlib("fractions").Fraction(*p._values(d, n)),
    "Y": _dec_builtin_type,
    "R": lambda p, d, n: p._decode_ref(d, n),
    "O": lambda p, d, n: p._decode_own(d, n),
    "X": lambda p, d, n: p._decode_exception(d, n),
}


# ---------------------------------------------------------------------------------------------- entry points

_CLIENT: Peer | None = None
_CLIENT_LOCK = _thread.allocate_lock()


def _channel_fd(fd: int | None) -> int:
    if fd is not None:
        return fd
    try:
        return int(os.environ.get(FD_ENV, DEFAULT_FD))
    except ValueError:
        raise ProxyError(f"${FD_ENV} is not a file descriptor number") from None


def client(fd: int | None = None) -> Peer:
    """The tests' process's one end of the channel (created on first use, from ``fd`` or ``$POLYGLOT_HRM_PROXY_FD``)."""
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            number = _channel_fd(fd)
            try:
                os.fstat(number)
            except OSError as err:
                raise ProxyError(f"no channel to the candidate's process on fd {number}: {err}") from None
            _CLIENT = Peer(number, "tests")
        return _CLIENT


def install(name: str) -> None:
    """What a stub runs: ``sys.modules[name]`` becomes the proxy of the candidate's module ``name``."""
    stub = sys.modules.get(name)
    module = client().import_module(name)
    for attr in ("__file__", "__spec__", "__loader__", "__cached__"):  # what tools read off an imported module
        if stub is not None and hasattr(stub, attr):
            types.ModuleType.__setattr__(module, attr, getattr(stub, attr))
    sys.modules[name] = module


def stub_module(name: str) -> str:
    """The source of the stub that stands in A's workspace for the candidate's module ``name``."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"not a module name: {name!r}")
    return (f'"""Stand-in for the candidate\'s module {name}: it runs in another process (python_proxy)."""\n\n'
            "import python_proxy\n\n"
            "python_proxy.install(__name__)\n")


def serve(fd: int | None = None, root: str | None = None) -> None:
    """B's main: the candidate's modules (in ``root``, default the working directory) first on ``sys.path``,
    stdout and stderr captured, then answer the tests' process until it closes the channel."""
    number = _channel_fd(fd)
    sys.path.insert(0, os.path.abspath(root or os.getcwd()))
    peer = Peer(number, "candidate")
    peer.stdout, peer.stderr = _Capture("<stdout>"), _Capture("<stderr>")
    sys.stdout, sys.stderr = peer.stdout, peer.stderr
    try:
        peer.serve_forever()
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] != "serve" or len(args) > 2:
        sys.stderr.write("usage: python python_proxy.py serve [FD]\n")
        return 2
    serve(int(args[1]) if len(args) == 2 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
