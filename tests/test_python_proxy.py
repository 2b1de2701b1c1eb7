"""The Python proxy (polyglot_hrm/languages/python_proxy.py) without a sandbox: the tests' side here, in this
process, the candidate's side a local ``python_proxy.py serve`` over a socketpair (or, for hostile answers, a
scripted thread speaking the wire format). What crosses, what identity survives, what is refused, and how a
broken or hostile peer ends a call: a clean exception, never a crash or a hang."""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from polyglot_hrm.problems import load_benchmark, mini_benchmark_root
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages import python_proxy as pp

RUNTIME = Path(pp.__file__)

CANDIDATE = '''
import collections, enum, sys

CONST = 42
BIG = 2 ** 100
NEG_BIG = -(3 ** 90)
FLOATS = (float("nan"), float("inf"), -0.0, 0.1)
COMPLEX = 1 - 2j
BLOB = b"\\x00\\xff"
NESTED = {(1, "a"): [frozenset({1, 2}), {3}], None: {"k": (True, None)}}
PROGRESS = []
seen = []


class StackError(Exception):
    pass


class Underflow(StackError, IndexError):
    pass


class Detailed(ValueError):
    def __init__(self, code):
        super().__init__(f"code {code}")
        self.code = code

    def __str__(self):
        return f"detailed failure {self.code}"


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Vec:
    scale = 10

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __add__(self, other):
        return Vec(self.x + other.x, self.y + other.y) if isinstance(other, Vec) else NotImplemented

    def __radd__(self, other):
        return Vec(self.x + other, self.y + other)

    def __iadd__(self, other):
        self.x += other
        self.y += other
        return self

    def __mul__(self, k):
        return Vec(self.x * k, self.y * k)

    def __neg__(self):
        return Vec(-self.x, -self.y)

    def __abs__(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5

    def __eq__(self, other):
        return isinstance(other, Vec) and (self.x, self.y) == (other.x, other.y)

    def __lt__(self, other):
        return abs(self) < abs(other)

    def __hash__(self):
        return hash((self.x, self.y))

    def __repr__(self):
        return f"Vec({self.x}, {self.y})"

    def __str__(self):
        return f"<{self.x}|{self.y}>"

    def __format__(self, spec):
        return f"{self.x:{spec}}/{self.y:{spec}}"

    def __len__(self):
        return 2

    def __iter__(self):
        return iter((self.x, self.y))

    def __getitem__(self, i):
        return (self.x, self.y)[i]

    def __contains__(self, v):
        return v in (self.x, self.y)

    def norm(self):
        return abs(self)

    @classmethod
    def origin(cls):
        return cls(0, 0)


class Vec3(Vec):
    pass


class Box:
    def __init__(self):
        self.items = {}
        self.entered = False

    def __setitem__(self, k, v):
        self.items[k] = v

    def __getitem__(self, k):
        return self.items[k]

    def __delitem__(self, k):
        del self.items[k]

    def __bool__(self):
        return bool(self.items)

    def __call__(self, x):
        return x * 2

    def __enter__(self):
        self.entered = True
        return self

    def __exit__(self, *exc):
        self.entered = False
        return False


class Plain:
    pass


class Reactor:
    def __init__(self):
        self.callbacks = []

    def add(self, cb):
        self.callbacks.append(cb)

    def remove(self, cb):
        self.callbacks.remove(cb)

    def fire(self, value):
        for cb in self.callbacks:
            cb(value)


def echo(*args, **kwargs):
    return args, kwargs


def same(x):
    return x


def apply(f, *args, **kwargs):
    return f(*args, **kwargs)


def helper():
    return "helper"


def is_helper(f):
    return f is helper


def identical(a, b):
    return a is b


def boom(kind):
    if kind == "underflow":
        raise Underflow("stack empty", 7)
    if kind == "detailed":
        raise Detailed(3)
    if kind == "key":
        raise KeyError("missing")
    if kind == "exit":
        sys.exit(3)
    raise ValueError("bad value", kind)


def counting(n):
    for i in range(n):
        PROGRESS.append(i)
        yield i


def progress():
    return list(PROGRESS)


def shout(text):
    print("candidate says", text)
    print("to stderr", file=sys.stderr)
    return text.upper()


def peek(obj):
    """What an attacker would read off an object of the tests'."""
    out = {}
    for name in ("__globals__", "__code__", "__closure__", "__dict__", "__self__", "__module__", "__qualname__",
                 "__defaults__", "__class__", "gi_frame", "f_back"):
        try:
            out[name] = repr(getattr(obj, name))[:80]
        except AttributeError:
            out[name] = "refused"
    return out


def try_call(f, *args):
    try:
        return ("returned", f(*args))
    except BaseException as err:
        return ("raised", type(err).__name__, str(err), err.args)


def with_object(obj):
    with obj as inner:
        inner.touch()
    return obj.count


def swallow(f):
    try:
        f()
    except Exception as err:
        return type(err).__name__, str(err), err.args


def reraise(f):
    f()


def nesting(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def stdlib_values(moment, day, delta, amount, ratio, counts, ordered, queue):
    return (moment + delta, day.isoformat(), amount * 2, ratio + 1, counts.most_common(1), list(ordered),
            queue.maxlen, type(moment).__name__)


def loop_back(n):
    return [n, same]


def peek_caller():
    """The test-peeking attack: walk the callers' frames and read their source lines."""
    import linecache
    frame, lines = sys._getframe(1), []
    while frame is not None:
        lines.append(linecache.getline(frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return [line for line in lines if "PEEK_MARKER" in line]


def test_tools_loaded():
    import gc
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest", "unittest", "pluggy"))
    cases = [o for o in gc.get_objects() if type(o).__name__.endswith("TestCase")]
    return loaded, len(cases)
'''


def start_candidate(folder: Path, source: str = CANDIDATE, name: str = "cand"):
    """A real candidate's process serving ``name`` from ``folder``; returns (the tests' Peer, the process)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(source)
    tests_end, candidate_end = socket.socketpair()
    proc = subprocess.Popen([sys.executable, "-s", "-P", str(RUNTIME), "serve", str(candidate_end.fileno())],
                            cwd=folder, pass_fds=[candidate_end.fileno()], env={**os.environ, "PYTHONHASHSEED": "0"})
    candidate_end.close()
    return pp.Peer(tests_end, "tests"), proc


def stop(peer: pp.Peer, proc: subprocess.Popen) -> None:
    peer.sock.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def cand(tmp_path_factory):
    peer, proc = start_candidate(tmp_path_factory.mktemp("candidate"))
    yield peer.import_module("cand")
    stop(peer, proc)


@pytest.fixture
def fresh(tmp_path):
    """A candidate's process of its own (for tests that break or kill it)."""
    started = []

    def make(source: str = CANDIDATE):
        peer, proc = start_candidate(tmp_path / f"c{len(started)}", source)
        started.append((peer, proc))
        return peer.import_module("cand"), peer, proc

    yield make
    for peer, proc in started:
        stop(peer, proc)


# ------------------------------------------------------------------------------------------ what crosses


def test_module_constants_arrive_by_value(cand):
    assert cand.CONST == 42 and type(cand.CONST) is int
    assert cand.BIG == 2 ** 100 and cand.NEG_BIG == -(3 ** 90)
    nan, inf, zero, tenth = cand.FLOATS
    assert math.isnan(nan) and inf == math.inf and math.copysign(1, zero) == -1 and tenth == 0.1
    assert cand.COMPLEX == 1 - 2j and cand.BLOB == b"\x00\xff"
    assert cand.NESTED == {(1, "a"): [frozenset({1, 2}), {3}], None: {"k": (True, None)}}
    assert type(cand.NESTED[(1, "a")][0]) is frozenset


def test_module_attributes_like_an_import(cand):
    assert hasattr(cand, "echo") and not hasattr(cand, "nope")
    with pytest.raises(AttributeError):
        cand.nope
    assert {"CONST", "echo", "Vec"} <= set(cand.__all__)
    assert "echo" in dir(cand) and cand.__name__ == "cand"
    sys.modules["pgproxy_star"] = cand
    try:
        namespace: dict = {}
        exec("from pgproxy_star import *", namespace)  # noqa: S102 - the test's own code
    finally:
        del sys.modules["pgproxy_star"]
    assert namespace["CONST"] == 42 and namespace["echo"] is cand.echo


def test_module_attribute_set_reaches_the_candidate(fresh):
    mod, _, _ = fresh()
    mod.CONST = 7
    assert mod.CONST == 7 and mod.same(mod.CONST) == 7


def test_calls_with_positional_and_keyword_arguments(cand):
    assert cand.echo(1, "two", three=[3], four={4: 4}) == ((1, "two"), {"three": [3], "four": {4: 4}})
    assert cand.same(None) is None and cand.same(True) is True


def test_stdlib_values_cross_by_value(cand):
    moment = datetime.datetime(2011, 4, 25, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    out = cand.stdlib_values(moment, datetime.date(2020, 2, 29), datetime.timedelta(seconds=10 ** 9),
                             decimal.Decimal("1.10"), fractions.Fraction(1, 3), collections.Counter("aab"),
                             collections.OrderedDict(b=1, a=2), collections.deque([1], maxlen=3))
    assert out == (moment + datetime.timedelta(seconds=10 ** 9), "2020-02-29", decimal.Decimal("2.20"),
                   fractions.Fraction(4, 3), [("a", 2)], ["b", "a"], 3, "datetime")
    assert out[0].tzinfo == moment.tzinfo
    assert type(cand.same(collections.Counter("ab"))) is collections.Counter
    assert cand.same(range(1, 10, 3)) == range(1, 10, 3)
    assert cand.same(int) is int and cand.same(ValueError) is ValueError


def test_builtin_exceptions_are_the_same_builtin_type(cand):
    with pytest.raises(ValueError) as err:
        cand.boom("value")
    assert type(err.value) is ValueError and err.value.args == ("bad value", "value")
    with pytest.raises(KeyError) as err:
        cand.boom("key")
    assert str(err.value) == "'missing'"


def test_candidate_exception_classes_are_real_local_classes(cand):
    with pytest.raises(cand.StackError) as err:
        cand.boom("underflow")
    assert type(err.value) is cand.Underflow and isinstance(err.value, IndexError)
    assert err.value.args == ("stack empty", 7) and str(err.value) == "('stack empty', 7)"
    assert issubclass(cand.Underflow, cand.StackError) and cand.Underflow.__name__ == "Underflow"
    assert cand.StackError is cand.StackError  # one local class per remote class
    with pytest.raises(ValueError) as err:
        cand.boom("detailed")
    assert type(err.value) is cand.Detailed and err.value.code == 3
    assert str(err.value) == "detailed failure 3" and err.value.args == ("code 3",)
    assert any("Traceback in the candidate's process" in note for note in err.value.__notes__)


def test_unittest_assert_raises_works(cand):
    import unittest

    case = unittest.TestCase()
    with case.assertRaises(cand.StackError) as err:
        cand.boom("underflow")
    assert err.exception.args[0] == "stack empty"
    with case.assertRaisesRegex(ValueError, "failure 3"):
        cand.boom("detailed")


def test_system_exit_in_the_candidate_is_a_plain_failure(cand):
    with pytest.raises(pp.RemoteError, match="SystemExit"):
        cand.boom("exit")
    assert cand.same(1) == 1  # the candidate's process is still there


def test_instances_carry_operators_equality_and_hashing(cand):
    v, w = cand.Vec(1, 2), cand.Vec(3, 4)
    assert isinstance(v, cand.Vec) and type(v) is cand.Vec and type(v).__name__ == "Vec"
    assert v + w == cand.Vec(4, 6) and 1 + v == cand.Vec(2, 3) and v * 3 == cand.Vec(3, 6)
    assert -v == cand.Vec(-1, -2) and abs(w) == 5.0 and v < w and not w < v
    assert v != w and v == cand.Vec(1, 2) and hash(v) == hash(cand.Vec(1, 2))
    assert len({v, cand.Vec(1, 2), w}) == 2 and {v: "a"}[cand.Vec(1, 2)] == "a"
    with pytest.raises(TypeError):
        v + "text"
    u = cand.Vec(1, 1)
    before = u
    u += 5
    assert u is before and u == cand.Vec(6, 6)  # in place: the same remote object, the same proxy


def test_instances_carry_str_repr_format_len_iter_items(cand):
    v = cand.Vec(1, 2)
    assert str(v) == "<1|2>" and repr(v) == "Vec(1, 2)" and f"{v:03d}" == "001/002"
    assert len(v) == 2 and list(v) == [1, 2] and v[1] == 2 and 2 in v and 5 not in v
    assert v.x == 1 and v.norm() == 5 ** 0.5 and cand.Vec.scale == 10 and cand.Vec.origin() == cand.Vec(0, 0)
    v.x = 10
    assert v.x == 10
    del v.x
    with pytest.raises(AttributeError):
        v.x
    box = cand.Box()
    assert not box
    box["k"] = 1
    assert box and box["k"] == 1 and box(4) == 8
    del box["k"]
    with pytest.raises(KeyError):
        box["k"]
    with box as inside:
        assert inside is box and box.entered
    assert not box.entered


def test_methods_are_read_without_a_round_trip_and_handed_on_whole(cand):
    v = cand.Vec(3, 4)
    method = v.norm
    assert method == v.norm and hash(method) == hash(v.norm) and method.__name__ == "norm"
    assert method() == 5.0 and cand.apply(v.norm) == 5.0  # handed on: B's own bound method
    reactor = cand.Reactor()
    reactor.add(reactor.fire)  # a method of B's object, passed back to B: the real one there
    assert len(reactor.callbacks) == 1


def test_subclasses_and_plain_objects(cand):
    v3 = cand.Vec3(1, 1)
    assert isinstance(v3, cand.Vec3) and isinstance(v3, cand.Vec) and issubclass(cand.Vec3, cand.Vec)
    p, q = cand.Plain(), cand.Plain()
    assert p == p and p != q and len({p, q, p}) == 2  # object's identity semantics, no round trip needed
    assert not callable(p) and callable(cand.Box())
    with pytest.raises(TypeError):
        len(p)


def test_enum_class_iterates_and_indexes(cand):
    assert [c.name for c in cand.Color] == ["RED", "GREEN"] and len(cand.Color) == 2
    assert cand.Color["RED"] is cand.Color.RED and cand.Color(2) is cand.Color.GREEN
    assert list(reversed(cand.Color)) == [cand.Color.GREEN, cand.Color.RED]


def test_class_attributes_set_on_the_candidates_class(fresh):
    mod, _, _ = fresh()
    mod.Vec.scale = 3
    assert mod.Vec.scale == 3 and mod.Vec(1, 1).scale == 3
    del mod.Vec.scale
    assert not hasattr(mod.Vec, "scale")


def test_generators_are_lazy_and_stop(cand):
    gen = cand.counting(3)
    assert cand.progress() == []
    assert next(gen) == 0 and cand.progress() == [0]
    assert list(gen) == [1, 2]
    with pytest.raises(StopIteration):
        next(gen)
    assert iter(gen) is gen


def test_callbacks_keep_one_identity_on_the_candidates_side(cand):
    seen: list = []

    def callback(value):
        seen.append(value)

    assert cand.identical(callback, callback) and not cand.identical(callback, lambda v: None)
    reactor = cand.Reactor()
    reactor.add(callback)
    reactor.add(seen.append)  # a bound builtin method: a new object at each read, one handle all the same
    reactor.fire(1)
    reactor.remove(callback)
    reactor.remove(seen.append)
    reactor.fire(2)
    assert seen == [1, 1]
    assert cand.apply(lambda x, y=0: x * 10 + y, 4, y=2) == 42


def test_references_go_back_to_their_owner(cand):
    helper = cand.helper
    assert cand.is_helper(helper)  # B's own function, not a proxy of a proxy
    v = cand.Vec(1, 1)
    assert cand.same(v) is v and cand.same(helper) is helper
    n, again = cand.loop_back(5)
    assert n == 5 and again is cand.same

    def mine():
        return "tests"

    assert cand.same(mine) is mine  # the tests' callback comes home as itself


def test_exceptions_of_callbacks_come_home_as_themselves(cand):
    class Mine(Exception):
        pass

    original = Mine("from the tests")

    def raising():
        raise original

    with pytest.raises(Mine) as err:
        cand.reraise(raising)
    assert err.value is original


def test_candidate_output_is_written_in_the_tests_process(cand, capsys):
    assert cand.shout("hi") == "HI"
    out, err = capsys.readouterr()
    assert "candidate says hi" in out and "to stderr" in err


def test_candidate_output_is_bounded(fresh, capsys):
    mod, _, _ = fresh(CANDIDATE + "\ndef flood(n):\n    print('x' * n)\n")
    mod.flood(10 * pp.MAX_TEXT)
    out = capsys.readouterr().out
    assert pp.MAX_TEXT <= len(out) < pp.MAX_TEXT + 200 and "characters printed in the candidate's process" in out
    for _ in range(pp.MAX_OUTPUT // pp.MAX_TEXT + 2):  # over many calls: A writes at most MAX_OUTPUT in all
        mod.flood(pp.MAX_TEXT)
    out = capsys.readouterr().out
    assert len(out) < pp.MAX_OUTPUT + 200 and "output is cut here" in out


def test_threads_of_the_tests_take_turns(cand):
    box = cand.Box()
    box["n"] = 0
    errors: list = []

    def work():
        try:
            for _ in range(20):
                cand.same(1)
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_context_manager_of_the_tests_runs_in_the_candidate(cand):
    class Resource:
        def __init__(self):
            self.count = 0
            self.open = False

        def __enter__(self):
            self.open = True
            return self

        def __exit__(self, *exc):
            self.open = False

        def touch(self):
            self.count += 1

    res = Resource()
    assert cand.with_object(res) == 1 and not res.open


# ------------------------------------------------------------------------------------------ what is refused


def test_the_candidate_reads_nothing_private_off_a_callback(cand):
    secret = 30

    def callback():
        return secret

    def gen():
        yield 1

    read = cand.peek(callback)
    refused = ("__globals__", "__code__", "__closure__", "__dict__", "__self__", "__qualname__", "__defaults__",
               "gi_frame", "f_back")
    assert {name: read[name] for name in refused} == dict.fromkeys(refused, "refused")
    assert __name__ not in repr(read) and "secret" not in repr(read)  # __class__, __module__: the local proxy's
    assert cand.peek(gen())["gi_frame"] == "refused"
    assert cand.try_call(callback) == ("returned", 30)  # calling it is what a callback is for


def test_the_tests_hand_over_no_private_callable():
    peer = pp.Peer(socket.socketpair()[0], "tests")
    import functools

    for value in (os.system, eval, open, getattr, sys.exit, sys._getframe, pytest.fail, sys, threading.Thread,
                  functools.partial(os.system, "id"), os.path.exists, sys._getframe().f_code):
        with pytest.raises(pp.ProxyError):
            peer._encode(value)


def test_an_assertion_in_a_callback_reaches_the_candidate_without_its_message(cand):
    def checking():
        assert 1 + 1 == 30, "expected 30"

    name, text, args = cand.swallow(checking)
    assert (name, text, args) == ("AssertionError", "", ())
    with pytest.raises(AssertionError, match="expected 30"):  # and comes home whole
        cand.reraise(checking)


def test_a_value_too_deep_fails_the_call_not_the_run(cand):
    with pytest.raises(pp.ProxyError, match="nested"):
        cand.nesting(pp.MAX_DEPTH + 10)
    deep: list = []
    for _ in range(pp.MAX_DEPTH + 10):
        deep = [deep]
    with pytest.raises(pp.ProxyError, match="nested"):
        cand.same(deep)
    assert cand.same(1) == 1


def test_a_candidate_that_dies_fails_the_call_at_once(fresh):
    mod, peer, proc = fresh(CANDIDATE + "\nimport os\ndef die():\n    os._exit(1)\n")
    start = time.monotonic()
    with pytest.raises(pp.ProxyError, match="ended"):
        mod.die()
    with pytest.raises(pp.ProxyError, match="closed"):
        mod.same(1)
    assert time.monotonic() - start < 10


def test_a_hanging_candidate_killed_by_the_clock_fails_the_call(fresh):
    mod, peer, proc = fresh(CANDIDATE + "\nimport time\ndef hang():\n    time.sleep(600)\n")
    threading.Timer(0.5, proc.kill).start()  # the run's clock, played by a timer
    start = time.monotonic()
    with pytest.raises(pp.ProxyError):
        mod.hang()
    assert time.monotonic() - start < 10


def test_the_candidate_cannot_peek_at_the_calling_test(cand):
    assert cand.peek_caller() == []  # PEEK_MARKER: this very line is what the attack looks for
    assert cand.test_tools_loaded() == ([], 0)  # no pytest, unittest or test case to patch over there


def test_runtime_source_has_no_code_loading():
    source = RUNTIME.read_text()
    for word in ("import pickle", "import marshal", "eval(", "exec(", "__import__(", "import ast"):
        assert word not in source, word


# ------------------------------------------------------------------------------------------ hostile answers


class Hostile:
    """A scripted candidate's side: answers the import, hands out one function ``f``, then plays ``on_call``
    when the tests call it (``on_call(sock, request)`` may send anything, and returns the raw answer or None)."""

    def __init__(self, on_call):
        self.tests_end, self.sock = socket.socketpair()
        self.on_call = on_call
        self.seen: list = []
        self.channel = pp._Channel(self.sock.fileno())
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        self.peer = pp.Peer(self.tests_end, "tests")

    def run(self):
        try:
            while True:
                request = self.channel.recv()
                op = request.get("op")
                if op == "import":
                    answer = ["T", ["R", 1, {"k": "m", "n": "hostile"}], ["L", "f"]]
                elif op == "getattr":
                    answer = ["R", 2, {"k": "f", "n": "f"}]
                else:
                    self.on_call(self, request)
                    continue
                self.channel.send({"a": request["q"], "v": answer})
        except (EOFError, OSError, pp.ProxyError):
            return

    def ask(self, request: dict) -> dict:
        """Send the tests' side a request while it waits, and read its answer."""
        self.channel.send(request)
        answer = self.channel.recv()
        self.seen.append(answer)
        return answer

    def close(self):
        self.tests_end.close()  # the script's next read ends; then its descriptor can go (and be reused)
        self.thread.join(timeout=10)
        self.sock.close()


def hostile(on_call):
    h = Hostile(on_call)
    return h, h.peer.import_module("hostile")


def callback_id(request: dict) -> int:
    return request["p"][1][1]  # ["T", ["R", id, meta]]


def test_hostile_requests_on_a_callback_are_refused():
    def on_call(h, request):
        cid = callback_id(request)
        for name in ("__globals__", "__code__", "__closure__", "__dict__", "__class__", "_private"):
            h.ask({"q": 100, "op": "getattr", "t": cid, "p": [name]})
        h.ask({"q": 101, "op": "setattr", "t": cid, "p": ["x", 1]})
        h.ask({"q": 102, "op": "op", "t": cid, "p": ["dir"]})
        h.ask({"q": 103, "op": "op", "t": cid, "p": ["setitem", 1, 2]})
        h.ask({"q": 104, "op": "import", "p": ["os"]})
        h.ask({"q": 105, "op": "call", "t": 999, "p": ["T"], "k": ["D"]})
        h.ask({"q": 106, "op": "op", "t": cid, "p": ["repr"]})
        h.channel.send({"a": request["q"], "v": None})

    h, mod = hostile(on_call)
    secret = "the expected answer"

    def callback():
        return secret

    assert mod.f(callback) is None
    errors = [answer.get("e") for answer in h.seen[:-1]]
    assert all(error is not None for error in errors), h.seen
    assert secret not in repr(h.seen)
    assert h.seen[-1]["v"] == "<function callback>"  # what repr says of the tests' functions: the name only
    h.close()


def test_an_oversized_answer_breaks_the_channel_cleanly():
    def on_call(h, request):
        h.sock.sendall((pp.MAX_MESSAGE + 1).to_bytes(4, "big"))

    h, mod = hostile(on_call)
    with pytest.raises(pp.ProtocolError, match="announced"):
        mod.f()
    with pytest.raises(pp.ProxyError, match="closed"):
        mod.f()
    h.close()


@pytest.mark.parametrize("answer, match", [
    ("[" * 100_000 + "]" * 100_000, "not valid"),  # past the JSON parser's stack
    ('{"a": 3, "v": ' + '["L",' * (pp.MAX_DEPTH + 20) + "1" + "]" * (pp.MAX_DEPTH + 20) + "}", "nested"),
    ('{"a": 3, "v": ["EVAL", "__import__(\'os\')"]}', "unknown kind"),
    ('{"a": 3, "v": ["R", 9, {"k": "o", "c": 5}]}', "class"),
    ('{"a": 3, "v": ["O", 12345]}', "never handed out"),
    ('{"a": 3, "v": ["D", ["L"], 1]}', "cannot be rebuilt"),
    ('{"a": 3, "e": 5}', "not an exception"),
    ('{"a": 77, "v": 1}', "answer to request 77"),
    ("not json at all", "not valid"),
])
def test_malformed_answers_fail_the_call(answer, match):
    def on_call(h, request):
        payload = answer.encode()
        h.sock.sendall(len(payload).to_bytes(4, "big") + payload)

    h, mod = hostile(on_call)
    with pytest.raises(pp.ProtocolError, match=match):
        mod.f()
    h.close()


def test_hostile_class_names_are_sanitised():
    def on_call(h, request):
        meta = {"k": "c", "n": "x(): import os; os.system('id') #", "m": "os; rm -rf", "b": [], "s": ["__len__"]}
        h.channel.send({"a": request["q"], "v": ["R", 7, {"k": "o", "c": ["R", 8, meta]}]})

    h, mod = hostile(on_call)
    obj = mod.f()
    assert type(obj).__name__.isidentifier() and type(obj).__module__.replace(".", "").isidentifier()
    h.close()


def test_hostile_exception_classes_cannot_end_the_run():
    def on_call(h, request):
        h.channel.send({"a": request["q"], "e": ["X", "KeyboardInterrupt", ["T"], "stop", ["D"], 0, ""]})

    h, mod = hostile(on_call)
    with pytest.raises(pp.RemoteError, match="KeyboardInterrupt"):
        mod.f()
    h.close()


# ------------------------------------------------------------------------------------------ the language module


PYTHON = get_language("python")


@pytest.fixture(scope="module")
def digit_sum():
    return next(p for p in load_benchmark(mini_benchmark_root(), languages=["python"]) if p.slug == "digit-sum")


def test_split_puts_stubs_beside_the_tests_and_modules_alone(digit_sum):
    files = digit_sum.workspace_files("reference")
    files["helpers.py"] = "X = 1\n"
    tests, candidate = PYTHON.split(files, digit_sum)
    solution = digit_sum.paths("solution")[0]
    assert set(candidate) == {solution, "helpers.py"} and candidate[solution] == files[solution]
    assert tests[solution] == pp.stub_module(solution[:-3]) and tests["helpers.py"] == pp.stub_module("helpers")
    assert all(tests[p] == files[p] for p in digit_sum.paths("test"))
    assert not any(PYTHON.is_test_file(p) for p in candidate)
    assert PYTHON.isolation(digit_sum) == "process"


def test_fallback_exercises_run_in_process(digit_sum):
    import dataclasses

    from polyglot_hrm.languages.python import IN_PROCESS

    assert IN_PROCESS and all(len(reason) > 40 for reason in IN_PROCESS.values())
    fallback = dataclasses.replace(digit_sum, slug=next(iter(IN_PROCESS)))
    assert PYTHON.isolation(fallback) == "in-process" and PYTHON.split({}, fallback) is None


def test_the_runtime_name_is_reserved():
    assert PYTHON.new_file_problem("python_proxy.py") is not None


def test_steps_and_companion_are_noexec_and_find_the_runtime(digit_sum, tmp_path):
    from polyglot_hrm.languages.context import RunnerContext

    ctx = RunnerContext(cache_dir=tmp_path / "cache")
    assert PYTHON.missing_provision(ctx) is not None
    PYTHON.provision(ctx, [digit_sum])
    assert PYTHON.missing_provision(ctx) is None
    assert list((PYTHON.runtime_dir(ctx) / "__pycache__").glob("python_proxy.*.pyc"))
    [step] = PYTHON.steps(tmp_path, ctx, digit_sum, tmp_path)
    companion = PYTHON.companion(tmp_path, ctx, digit_sum)
    assert step.noexec and companion.noexec
    assert step.env["PYTHONPATH"] == companion.env["PYTHONPATH"] == str(PYTHON.runtime_dir(ctx))
    assert step.env[pp.FD_ENV] == companion.env[pp.FD_ENV] == "3"


def test_stub_is_generated_from_the_name_alone():
    text = pp.stub_module("bowling")
    assert "python_proxy.install(__name__)" in text
    with pytest.raises(ValueError):
        pp.stub_module("os; import x")
