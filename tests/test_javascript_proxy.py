"""The JavaScript proxy (``polyglot_hrm/languages/javascript_proxy.js``) and Jest's settings, without the sandbox.

Process A (the tests' side) and process B (the candidate's) are two local node processes joined by a socketpair
(``pass_fds``). Most checks drive A as a plain node script that prints what it saw; the ones that are about Jest
(equality as Jest sees it, ``toThrow``, the hooks through which a value could decide a comparison, the
configuration) run Jest itself. Every fixture is written here.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from polyglot_hrm.problems.problem import Problem, ProblemFile
from polyglot_hrm.execution.provision import setup_runners
from polyglot_hrm.execution.workspace import materialise, workspace_files
from polyglot_hrm.languages import get_language
from polyglot_hrm.languages.base import REPORT_FD_PATH
from polyglot_hrm.languages.context import RunnerContext
from polyglot_hrm.languages.javascript import IN_PROCESS, PROXY_ENV, STARTS_PROGRAMS, stub_module

JS = get_language("javascript")
BABEL_CONFIG = "module.exports = { presets: ['@exercism/babel-preset-javascript'], plugins: [] };\n"
PACKAGE_JSON = json.dumps({"name": "fixture", "private": True}) + "\n"


@pytest.fixture(scope="module")
def ctx(mini_problems) -> RunnerContext:
    setup_runners([p for p in mini_problems if p.language == "javascript"])
    return RunnerContext()


@pytest.fixture(scope="module")
def proxy(ctx) -> Path:
    return JS.install_runtime(ctx) / "javascript_proxy.js"


def start_server(argv: list[str], cwd: Path, fd: int) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            pass_fds=[fd], env={**os.environ, "POLYGLOT_HRM_CHANNEL_FD": str(fd)})


def pair(server_argv: list[str], server_cwd: Path, client_argv: list[str], client_cwd: Path,
         env: dict[str, str] | None = None, timeout: float = 60) -> tuple[subprocess.CompletedProcess, str]:
    """Runs B (``server_argv``) and A (``client_argv``) over a socketpair; A's result and B's output."""
    ours, theirs = socket.socketpair()
    server = start_server(server_argv, server_cwd, theirs.fileno())
    theirs.close()
    try:
        client = subprocess.run(client_argv, cwd=client_cwd, capture_output=True, text=True, timeout=timeout,
                                pass_fds=[ours.fileno()],
                                env={**os.environ, **(env or {}), "POLYGLOT_HRM_CHANNEL_FD": str(ours.fileno())})
    finally:
        ours.close()
        try:
            out = server.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            server.kill()
            out = server.communicate()[0]
    return client, out.decode(errors="replace")


def run_client(tmp_path: Path, proxy: Path, modules: dict[str, str], script: str, babel: bool = False,
               ctx: RunnerContext | None = None) -> dict:
    """B serves ``modules``; A runs ``script`` (with ``rt`` = the proxy module and ``report(key, value)``) and the
    reported values come back as a dict."""
    b = tmp_path / "b"
    a = tmp_path / "a"
    b.mkdir()
    a.mkdir()
    materialise(b, modules)
    if babel:
        materialise(b, {"package.json": PACKAGE_JSON, "babel.config.js": BABEL_CONFIG})
        JS.prepare(b, ctx)
    prelude = (f"const rt = require({json.dumps(str(proxy))});\n"
               "const seen = {};\n"
               "const report = (k, v) => { seen[k] = v === undefined ? v : JSON.parse(JSON.stringify(v)); };\n"
               "(async () => {\n")
    epilogue = ("\n})().then(() => process.stdout.write('@@' + JSON.stringify(seen)),\n"
                "  (err) => { console.error(err); process.exit(1); });\n")
    (a / "main.js").write_text(prelude + textwrap.dedent(script) + epilogue)
    client, server_out = pair(["node", str(proxy), "serve"], b, ["node", "main.js"], a)
    assert client.returncode == 0, client.stderr + client.stdout + server_out
    return json.loads(client.stdout.rsplit("@@", 1)[1])


# --------------------------------------------------------------------------- what the proxy carries

CLASSES = """
class Counter {
  constructor(start) { this.count = start; this.history = []; }
  add(n) { this.count += n; this.history.push(n); return this; }
  get double() { return this.count * 2; }
  set double(v) { this.count = v / 2; }
  toString() { return `Counter(${this.count})`; }
  *[Symbol.iterator]() { yield* this.history; }
  static zero() { return new Counter(0); }
}
Counter.instances = 7;
class Special extends Counter { kind() { return 'special'; } }
class FullError extends Error {
  constructor(message) { super(message || 'it is full'); this.name = 'FullError'; this.size = 3; }
}
class Quiet extends RangeError {}
function apply(f, x) { return f(x); }
function same(f, g) { return f === g; }
let kept = null;
function keep(f) { kept = f; }
function callKept(x) { return kept(x); }
function sortInPlace(a) { a.sort((x, y) => x - y); a.push('end'); }
function* count(n) { for (let i = 0; i < n; i++) yield i; }
function values() { return { nan: NaN, negZero: -0, inf: -Infinity, big: 12345678901234567890n, undef: undefined,
  nested: { list: [1, , 3], map: new Map([['k', new Set([1, 2])]]), date: new Date(86400000), re: /a+b/gi },
  sym: Symbol.iterator, reg: Symbol.for('polyglot') }; }
function cyclic() { const a = { name: 'a' }; a.self = a; const list = [a, a]; return list; }
function thrower(kind) {
  if (kind === 'full') throw new FullError();
  if (kind === 'quiet') throw new Quiet('quiet');
  if (kind === 'type') return null.x;
  throw 'a string';
}
function later(x) { return new Promise((resolve) => setTimeout(() => resolve(x * 2), 5)); }
function fails() { return Promise.reject(new FullError('async full')); }
function iterate(iterable) { const out = []; for (const x of iterable) out.push(x); return out; }
module.exports = { Counter, Special, FullError, Quiet, apply, same, keep, callKept, sortInPlace, count, values,
  cyclic, thrower, later, fails, iterate, answer: 42 };
"""


def test_classes_instances_and_statics(tmp_path, proxy):
    seen = run_client(tmp_path, proxy, {"lib.js": CLASSES}, """
        const { Counter, Special } = rt.load('lib.js');
        const c = new Counter(1);
        report('instanceof', c instanceof Counter);
        report('chain', c.add(2).add(3) === c);
        report('count', c.count);
        report('getter', c.double);
        c.double = 20;
        report('setter', c.count);
        report('toString', String(c));
        report('iterate', [...c]);
        report('keys', Object.keys(c));
        report('static', Counter.zero() instanceof Counter && Counter.instances === 7);
        report('name', Counter.name);
        const s = new Special(5);
        report('subclass', [s instanceof Special, s instanceof Counter, s.kind(), s.add(1).count]);
        report('constructor', c.constructor === Counter);
        c.extra = 'set here';
        report('own set', Object.keys(c).includes('extra'));
    """)
    assert seen == {"instanceof": True, "chain": True, "count": 6, "getter": 12, "setter": 10,
                    "toString": "Counter(10)", "iterate": [2, 3], "keys": ["count", "history"], "static": True,
                    "name": "Counter", "subclass": [True, True, "special", 6], "constructor": True, "own set": True}


def test_values_by_value(tmp_path, proxy):
    seen = run_client(tmp_path, proxy, {"lib.js": CLASSES}, """
        const { values, cyclic, answer } = rt.load('lib.js');
        const v = values();
        report('nan', Number.isNaN(v.nan));
        report('negZero', Object.is(v.negZero, -0));
        report('inf', v.inf === -Infinity);
        report('big', typeof v.big === 'bigint' && v.big === 12345678901234567890n);
        report('undef', 'undef' in v && v.undef === undefined);
        report('hole', !(1 in v.nested.list) && v.nested.list.length === 3);
        report('map', v.nested.map instanceof Map && v.nested.map.get('k') instanceof Set && v.nested.map.get('k').has(2));
        report('date', v.nested.date instanceof Date && v.nested.date.getTime() === 86400000);
        report('regexp', v.nested.re instanceof RegExp && v.nested.re.flags === 'gi' && v.nested.re.source === 'a+b');
        report('symbols', v.sym === Symbol.iterator && v.reg === Symbol.for('polyglot'));
        report('plain', Object.getPrototypeOf(v) === Object.prototype);
        const list = cyclic();
        report('shared', list[0] === list[1] && list[0].self === list[0]);
        report('answer', answer);
    """)
    assert all(seen.values()), seen


def test_errors_are_local_classes(tmp_path, proxy):
    seen = run_client(tmp_path, proxy, {"lib.js": CLASSES}, """
        const { FullError, Quiet, thrower } = rt.load('lib.js');
        const caught = (kind) => { try { thrower(kind); } catch (e) { return e; } };
        const full = caught('full');
        report('full', [full instanceof FullError, full instanceof Error, full.name, full.message, full.size,
                        Object.prototype.toString.call(full)]);
        const quiet = caught('quiet');
        report('quiet', [quiet instanceof Quiet, quiet instanceof RangeError, quiet.message]);
        const type = caught('type');
        report('type', [type instanceof TypeError, type.constructor === TypeError]);
        report('string', caught('other'));
        const made = new FullError();
        report('constructed', [made instanceof FullError, made.message]);
        report('stack', typeof full.stack === 'string' && full.stack.includes('FullError'));
    """)
    assert seen["full"] == [True, True, "FullError", "it is full", 3, "[object Error]"]
    assert seen["quiet"] == [True, True, "quiet"]
    assert seen["type"] == [True, True]
    assert seen["string"] == "a string"
    assert seen["constructed"] == [True, "it is full"]
    assert seen["stack"] is True


def test_callbacks_keep_one_identity_and_writes_come_back(tmp_path, proxy):
    seen = run_client(tmp_path, proxy, {"lib.js": CLASSES}, """
        const { apply, same, keep, callKept, sortInPlace, iterate } = rt.load('lib.js');
        const f = (x) => x + 1;
        report('apply', apply(f, 1));
        report('identity', same(f, f));
        report('two', same(f, (x) => x));
        keep((x) => apply((y) => y * 10, x));
        report('nested', callKept(4));
        const list = [3, 1, 2];
        sortInPlace(list);
        report('written back', list);
        report('iterate a Set', iterate(new Set(['a', 'b'])));
        function* gen() { yield 1; yield 2; }
        report('iterate a generator', iterate(gen()));
        let thrown;
        try { apply(() => { throw new RangeError('from the tests'); }, 0); } catch (e) { thrown = e; }
        report('callback throws', [thrown instanceof RangeError, thrown.message]);
    """)
    assert seen == {"apply": 2, "identity": True, "two": False, "nested": 40, "written back": [1, 2, 3, "end"],
                    "iterate a Set": ["a", "b"], "iterate a generator": [1, 2],
                    "callback throws": [True, "from the tests"]}


CONS = """
const Null = { get value() { return undefined; }, get values() { return []; }, append(other) { return other; } };
class Cons {
  constructor(value, next) { this.value = value; this.next = next; }
  get values() { return [this.value, ...this.next.values]; }
  append(other) { return new Cons(this.value, this.next.append(other)); }
}
class List { constructor(values = []) { return values.reduceRight((next, v) => new Cons(v, next), Null); } }
class Robot { constructor() { this._name = 'AB123'; } get name() { return this._name; } }
module.exports = { List, Robot };
"""


def test_b_objects_passed_back_are_not_written_back(tmp_path, proxy):
    """A plain object of B's (with getters only) passed back to B in a call is B's state, never written back to
    (javascript/list-ops); an assignment B refuses still throws in A's strict code (javascript/robot-name)."""
    seen = run_client(tmp_path, proxy, {"lib.js": CONS}, """
        'use strict';
        const { List, Robot } = rt.load('lib.js');
        const empty = new List();
        report('empty append', new List().append(empty).values);
        report('append', new List([1, 2]).append(new List([3])).values);
        const robot = new Robot();
        let thrown = null;
        try { robot.name = 'XY999'; } catch (e) { thrown = e instanceof TypeError; }
        report('setter refused', [thrown, robot.name]);
    """)
    assert seen == {"empty append": [], "append": [1, 2, 3], "setter refused": [True, "AB123"]}


SCHOOL = """
class Leaky { constructor() { this.db = {}; } add(n, g) { (this.db[g] = this.db[g] || []).push(n); } roster() { return this.db; } }
class Careful extends Leaky { roster() { return JSON.parse(JSON.stringify(this.db)); } }
module.exports = { Leaky, Careful };
"""


def test_returned_arrays_and_objects_stay_in_step_with_b(tmp_path, proxy):
    """A copy of B's array or object is one per B object, writes reach B's object, and a call refreshes it: a
    solution that hands out its own state fails a 'cannot be modified from outside' test, as it does in-process."""
    seen = run_client(tmp_path, proxy, {"lib.js": SCHOOL}, """
        const { Leaky, Careful } = rt.load('lib.js');
        const leaky = new Leaky();
        leaky.add('a', 2);
        leaky.roster()[2].push('outside');
        report('leaky', leaky.roster());
        const careful = new Careful();
        careful.add('a', 2);
        careful.roster()[2].push('outside');
        report('careful', careful.roster());
        report('identity', [leaky.roster() === leaky.roster(), careful.roster() === careful.roster()]);
        const held = leaky.roster();
        leaky.add('b', 3);
        report('refreshed', held);
        report('array', Array.isArray(held[2]) && held[2] instanceof Array);
        report('own data', Object.keys(leaky));
    """)
    assert seen == {"leaky": {"2": ["a", "outside"]}, "careful": {"2": ["a"]}, "identity": [True, False],
                    "refreshed": {"2": ["a", "outside"], "3": ["b"]}, "array": True, "own data": ["db"]}


def test_generators_and_promises(tmp_path, proxy):
    seen = run_client(tmp_path, proxy, {"lib.js": CLASSES}, """
        const { count, later, fails, FullError } = rt.load('lib.js');
        const g = count(3);
        report('next', g.next());
        report('rest', [...g]);
        report('generator tag', Object.prototype.toString.call(count(1)));
        report('later', await later(21));
        try { await fails(); } catch (e) { report('rejected', [e instanceof FullError, e.message]); }
    """)
    assert seen["next"] == {"value": 0, "done": False}
    assert seen["rest"] == [1, 2]
    assert seen["generator tag"] == "[object Generator]"
    assert seen["later"] == 42
    assert seen["rejected"] == [True, "async full"]


def test_es_modules_load_with_babel(tmp_path, proxy, ctx):
    modules = {"shapes.js": "import { area } from './helper';\nexport default class Square {\n"
                            "  constructor(s) { this.s = s; }\n  area() { return area(this.s); }\n}\n"
                            "export const unit = new Square(1);\n",
               # B transforms every module before A asks, but runs each only when imported, once.
               "helper.js": "globalThis.runs = (globalThis.runs || 0) + 1;\nexport const area = (s) => s * s;\n"
                            "export const runs = () => globalThis.runs;\n"}
    seen = run_client(tmp_path, proxy, modules, """
        const mod = rt.load('shapes.js');
        report('esm', mod.__esModule === true);
        const Square = mod.default;
        report('area', new Square(3).area());
        report('unit', mod.unit instanceof Square && mod.unit.area());
        report('runs', rt.load('helper.js').runs());
    """, babel=True, ctx=ctx)
    assert seen == {"esm": True, "area": 9, "unit": 1, "runs": 1}


# --------------------------------------------------------------------------- what A refuses

HOSTILE_SERVER = r"""
// A fake process B that answers A's hello and import, then misbehaves as told.
const fs = require('fs');
const fd = Number(process.env.POLYGLOT_HRM_CHANNEL_FD);
const mode = process.argv[2];
let buf = Buffer.alloc(0);
function read() {
  for (;;) {
    if (buf.length >= 4) {
      const n = buf.readUInt32BE(0);
      if (buf.length >= 4 + n) { const m = JSON.parse(buf.subarray(4, 4 + n)); buf = buf.subarray(4 + n); return m; }
    }
    const chunk = Buffer.alloc(65536);
    const got = fs.readSync(fd, chunk, 0, chunk.length, null);
    if (got === 0) process.exit(0);
    buf = Buffer.concat([buf, chunk.subarray(0, got)]);
  }
}
function send(m) { const b = Buffer.from(JSON.stringify(m)); const h = Buffer.alloc(4); h.writeUInt32BE(b.length); fs.writeSync(fd, Buffer.concat([h, b])); }
function sendRaw(bytes) { fs.writeSync(fd, bytes); }
read(); send({ r: true });                       // hello
read();                                           // import
const fn = (id) => ({ $: 'h', h: id, k: 'f', d: { n: 'f', l: 0, c: 0 } });
send({ r: { $: 'o', i: 0, v: [['esm', false], ['exports', { $: 'o', i: 1, v: [['f', fn(1)], ['g', fn(2)]] }]] } });
const call = read();                              // A calls f(callback, state)
if (mode === 'probe') {
  const cb = call.a.v[0].h;                       // the callback A handed over
  const state = call.a.v[1].h;                    // an object of the tests (by handle: not plain data)
  const none = { $: 'a', i: 0, v: [] };
  const asks = {
    constructor: { q: 'get', o: cb, k: 'constructor' }, proto: { q: 'get', o: cb, k: '__proto__' },
    private: { q: 'get', o: state, k: '_secret' }, method: { q: 'get', o: state, k: 'secret' },
    data: { q: 'get', o: state, k: 'visible' }, keys: { q: 'keys', o: state },
    callState: { q: 'call', f: state, t: { $: 'u' }, a: none }, callUnknown: { q: 'call', f: 999, t: { $: 'u' }, a: none },
    newCallback: { q: 'new', f: cb, a: none }, import: { q: 'import', m: 'fs' }, eval: { q: 'eval', m: '1' },
    callback: { q: 'call', f: cb, t: { $: 'u' }, a: { $: 'a', i: 0, v: ['from B'] } },
  };
  const answers = {};
  for (const [name, ask] of Object.entries(asks)) { send(ask); answers[name] = read(); }
  send({ r: JSON.stringify(answers) });
  read();
} else if (mode === 'dies') {
  process.exit(0);
} else if (mode === 'huge') {
  const h = Buffer.alloc(4); h.writeUInt32BE(0xFFFFFFF0); sendRaw(h);
} else if (mode === 'garbage') {
  const b = Buffer.from('{not json'); const h = Buffer.alloc(4); h.writeUInt32BE(b.length); sendRaw(Buffer.concat([h, b]));
} else if (mode === 'deep') {
  let v = 1; for (let i = 0; i < 5000; i++) v = { $: 'a', i: 0, v: [v] };
  send({ r: v });
} else if (mode === 'matcher') {
  send({ r: { $: 'o', i: 0, v: [['asymmetricMatch', fn(3)], ['value', 1]] } });
} else if (mode === 'forged') {
  send({ r: { $: 'r', h: 12345 } });             // a reference to an object A never handed over
}
setTimeout(() => process.exit(0), 2000);
"""

HOSTILE_CLIENT = """
const rt = require(process.env.PROXY);
const m = rt.load('lib.js');
let secretCalled = false;
class State { constructor() { this.visible = 'yes'; this._secret = 'no'; } secret() { secretCalled = true; return 'leak'; } }
const state = new State();
const result = {};
try {
  result.value = m.f((x) => 'callback saw ' + x, state);
} catch (e) {
  result.error = e.name + ': ' + e.message;
}
try { m.g(); result.after = 'answered'; } catch (e) { result.after = e.name + ': ' + e.message; }
result.secretCalled = secretCalled;
process.stdout.write(JSON.stringify(result, (k, v) => (v === undefined ? '<undefined>' : v)));
"""


def hostile(tmp_path: Path, proxy: Path, mode: str) -> dict:
    (tmp_path / "server.js").write_text(HOSTILE_SERVER)
    (tmp_path / "client.js").write_text(HOSTILE_CLIENT)
    start = time.monotonic()
    client, _ = pair(["node", "server.js", mode], tmp_path, ["node", "client.js"], tmp_path,
                     env={"PROXY": str(proxy)}, timeout=30)
    assert time.monotonic() - start < 20, "a hostile B made A wait"
    assert client.returncode == 0, client.stderr
    return json.loads(client.stdout)


def test_a_answers_only_its_allow_list(tmp_path, proxy):
    result = hostile(tmp_path, proxy, "probe")
    answers = json.loads(result["value"])
    # Reads of constructor/__proto__/_private names and of functions come back undefined; plain data reads; calls
    # of what A never handed over as a callback, `new` on a callback, imports and unknown requests are refused.
    for name in ("constructor", "proto", "private", "method"):
        assert answers[name] == {"r": {"$": "u"}}, name
    assert answers["data"] == {"r": "yes"}
    assert answers["keys"]["r"]["v"] == ["visible"]
    for name in ("callState", "callUnknown", "newCallback", "import", "eval"):
        assert "x" in answers[name] and "r" not in answers[name], name
    assert answers["callback"] == {"r": "callback saw from B"}
    assert result["secretCalled"] is False


@pytest.mark.parametrize("mode", ["dies", "huge", "garbage", "deep", "forged"])
def test_a_hostile_or_dead_b_makes_the_call_throw(tmp_path, proxy, mode):
    result = hostile(tmp_path, proxy, mode)
    assert "error" in result and "Error" in result["error"], result
    if mode in ("dies", "huge", "garbage"):
        assert "cannot be reached" in result["after"], result  # the channel stays broken: no later call hangs


def test_b_cannot_hand_a_an_asymmetric_matcher(tmp_path, proxy):
    result = hostile(tmp_path, proxy, "matcher")
    assert result["value"] == {"value": 1}  # the hook is dropped: Jest would have let it decide toEqual


# --------------------------------------------------------------------------- through Jest

SPEC = """
import { Counter, FullError, Quiet, thrower, values, same, apply, later, matcher, point, Point, Leaky } from './lib';

describe('proxied', () => {
  test('instances compare by their own data', () => {
    expect(new Counter(3)).toEqual(new Counter(3));
    expect(new Counter(3)).not.toEqual(new Counter(4));
    expect(new Counter(2).add(1)).toEqual(new Counter(2).add(1));
    expect(new Counter(1)).toBeInstanceOf(Counter);
    expect(point(1, 2)).toEqual(new Point(1, 2));
    expect(point(1, 2)).toStrictEqual(new Point(1, 2));
    expect(point(1, 2)).toEqual({ x: 1, y: 2 });
    expect(point(1, 2)).not.toStrictEqual({ x: 1, y: 2 });
  });
  test('plain values compare by value', () => {
    expect(values()).toEqual({ nan: NaN, negZero: -0, inf: -Infinity, big: 12345678901234567890n,
      nested: { list: [1, undefined, 3], map: new Map([['k', new Set([1, 2])]]), date: new Date(86400000), re: /a+b/gi },
      sym: Symbol.iterator, reg: Symbol.for('polyglot') });
    expect(values().negZero).toBe(-0);
    expect([...new Counter(0).add(1).add(2)]).toEqual([1, 2]);
  });
  test('errors', () => {
    expect(() => thrower('full')).toThrow(FullError);
    expect(() => thrower('full')).toThrow(new Error('it is full'));
    expect(() => thrower('full')).toThrow('it is full');
    expect(() => thrower('quiet')).toThrow(RangeError);
    expect(() => thrower('quiet')).toThrow(Quiet);
    expect(() => thrower('type')).toThrow(TypeError);
    expect(() => thrower('quiet')).not.toThrow(FullError);
  });
  test('callbacks', () => {
    const f = () => 1;
    expect(same(f, f)).toBe(true);
  });
  test('a mock handed to the candidate records its calls', () => {
    const fn = jest.fn((x) => x * 2);
    expect(apply(fn, 3)).toBe(6);
    expect(fn).toHaveBeenCalledWith(3);
  });
  test('promises', async () => {
    await expect(later(4)).resolves.toEqual(8);
  });
  test('a value cannot decide its own comparison', () => {
    expect(matcher()).toEqual(42);
  });
  test('state handed out and changed by the tests', () => {
    const school = new Leaky();
    school.add('a', 2);
    school.roster()[2].push('outside');
    expect(school.roster()).toEqual({ 2: ['a'] });
  });
});
"""

SPEC_LIB = CLASSES.replace("module.exports = {", """class Point { constructor(x, y) { this.x = x; this.y = y; } }
function point(x, y) { return new Point(x, y); }
function matcher() { return { asymmetricMatch: () => true }; }
class Leaky { constructor() { this.db = {}; } add(n, g) { (this.db[g] = this.db[g] || []).push(n); } roster() { return this.db; } }
module.exports = { Point, point, matcher, Leaky,""")


def js_problem(files: dict[str, str], slug: str = "fixture", added: tuple[str, ...] = ()) -> Problem:
    """An exercise of ``files`` (lib.js the solution, lib.spec.js the test, the rest support) less the ``added``
    files, which a candidate sent."""
    roles = {"lib.js": "solution", "lib.spec.js": "test"}
    return Problem("javascript", slug, "", tuple(ProblemFile(p, roles.get(p, "support"), c)
                                                 for p, c in files.items() if p not in added))


def run_jest(tmp_path: Path, ctx: RunnerContext, files: dict[str, str], problem: Problem,
             proxied: bool) -> tuple[dict[str, list[str]], list[str], str]:
    """Jest's per-test outcomes, load errors and output, in-process or through the proxy."""
    report_dir = tmp_path / ".report"
    report_dir.mkdir()
    a = tmp_path / "a"
    parts = JS.split(files, problem) if proxied else None
    a_files = parts[0] if parts else files
    a.mkdir()
    materialise(a, a_files)
    JS.prepare(a, ctx, problem)
    [step] = JS.steps(a, ctx, problem, report_dir)
    # Outside the runner there is no host pipe: the report goes to the file the pipe's bytes would be kept in.
    step.argv = [arg.replace(REPORT_FD_PATH, str(report_dir / step.report)) for arg in step.argv]
    env = {**ctx.base_env(), **step.env}
    if parts:
        b = tmp_path / "b"
        b.mkdir()
        materialise(b, parts[1])
        JS.prepare(b, ctx, problem)
        companion = JS.companion(b, ctx, problem)
        client, server_out = pair(companion.argv, b, step.argv, a, env=env, timeout=120)
    else:
        client = subprocess.run(step.argv, cwd=a, capture_output=True, text=True, timeout=120, env=env)
        server_out = ""
    output = client.stdout + client.stderr + server_out
    report = JS.read_report(report_dir, output)
    assert report is not None, output
    tests: dict[str, list[str]] = {}
    for t in report.tests:
        tests.setdefault(t.name.split(" › ")[-1], []).append(t.outcome)
    return tests, report.load_errors, output


@pytest.mark.slow
def test_jest_sees_the_proxied_module_as_the_real_one(tmp_path, ctx):
    """The same spec in-process and through the proxy: the same outcome for every test but one, the value that
    claims to be an asymmetric matcher (in-process it decides its own comparison)."""
    files = {"lib.js": SPEC_LIB, "lib.spec.js": SPEC, "package.json": PACKAGE_JSON, "babel.config.js": BABEL_CONFIG}
    problem = js_problem(files)
    (tmp_path / "in").mkdir()
    (tmp_path / "proxied").mkdir()
    local, _, local_output = run_jest(tmp_path / "in", ctx, files, problem, proxied=False)
    tests, load_errors, output = run_jest(tmp_path / "proxied", ctx, files, problem, proxied=True)
    assert not load_errors, output
    assert local.pop("a value cannot decide its own comparison") == ["passed"], local_output
    assert tests.pop("a value cannot decide its own comparison") == ["failed"], output
    assert tests == local, output
    assert tests.pop("state handed out and changed by the tests") == ["failed"]
    assert {name: v for name, v in tests.items() if v != ["passed"]} == {}, output


def test_split_keeps_tests_and_candidate_apart():
    files = {"lib.js": "export const secret = 1;\n", "helper.js": "export const h = 2;\n",
             "lib.spec.js": "import { secret } from './lib';\ntest('t', () => expect(secret).toBe(1));\n",
             "package.json": PACKAGE_JSON, "babel.config.js": BABEL_CONFIG, "jest.config.js": "module.exports = {};\n",
             "data/input.txt": "data\n"}
    a_files, b_files = JS.split(files, js_problem(files, added=("helper.js",)))
    assert set(b_files) == {"lib.js", "helper.js", "package.json", "babel.config.js"}
    assert set(a_files) == {"lib.js", "helper.js", "lib.spec.js", "package.json", "babel.config.js", "jest.config.js",
                            "data/input.txt"}
    assert a_files["lib.js"] == stub_module("lib.js") and "secret" not in a_files["lib.js"]
    assert PROXY_ENV in a_files["helper.js"]


def test_the_fallback_list_runs_in_process():
    spec = "jest.mock('./lib');\ntest('t', () => {});\n"
    files = {"lib.js": "export const x = 1;\n", "lib.spec.js": spec}
    assert JS.split(files, js_problem(files)) is None
    assert JS.isolation(js_problem(files)) == "in-process"
    plain = {"lib.js": "export const x = 1;\n", "lib.spec.js": "test('t', () => {});\n"}
    assert JS.isolation(js_problem(plain)) == "process"
    assert JS.isolation(js_problem(plain, slug="grep")) == "in-process"
    assert set(STARTS_PROGRAMS) <= set(IN_PROCESS)
    assert all(reason for reason in IN_PROCESS.values())


# --------------------------------------------------------------------------- Jest's settings

@pytest.mark.parametrize("name", ["test.js", "spec.js", "x.test.js", "x.spec.js", "x.testtest.js", "a.b.spec.js",
                                  "test.cjs", "x.test.mjs", "__tests__/x.js", "test/x.js"])
def test_a_file_jest_would_collect_is_refused(name):
    assert JS.new_file_problem(name) is not None


@pytest.mark.parametrize("name", ["helper.js", "tests.js", "latest.js", "contest.js", "testing.js"])
def test_ordinary_modules_are_accepted(name):
    assert JS.new_file_problem(name) is None


def test_pending_markers_lift_and_skips_stay():
    text = "xtest('a', f);\nxit('b', f);\nxdescribe('c', f);\ntest.skip('d', f);\nit.skip('e', f);\n"
    assert JS.unskip(text) == "test('a', f);\nit('b', f);\ndescribe('c', f);\ntest.skip('d', f);\nit.skip('e', f);\n"


def test_jest_runs_the_spec_by_path_in_band_without_exec(tmp_path, ctx):
    files = {"lib.js": "export const x = 1;\n", "lib.spec.js": "test('t', () => {});\n"}
    problem = js_problem(files)
    [step] = JS.steps(tmp_path, ctx, problem, tmp_path / ".report")
    argv = step.argv
    assert argv[argv.index("--runTestsByPath") + 1:] == ["lib.spec.js"]
    assert "--runInBand" in argv and argv[argv.index("--config") + 1].endswith("javascript_jest_config.js")
    assert step.noexec
    assert not JS.steps(tmp_path, ctx, js_problem(files, slug="grep"), tmp_path / ".report")[0].noexec


@pytest.mark.slow
def test_a_candidate_test_file_is_dropped_and_a_load_error_recorded(tmp_path, ctx):
    spec = "import { x } from './lib';\ntest('real', () => expect(x).toBe(1));\n"
    files = {"lib.js": "export const x = 1;\n", "lib.spec.js": spec, "package.json": PACKAGE_JSON,
             "babel.config.js": BABEL_CONFIG}
    problem = js_problem(files)
    forged = "test('real', () => {});\n"
    prepared = workspace_files(problem, "stub", {"lib.js": "throw new Error('no');\n", "test.js": forged,
                                                 "x.testtest.js": forged})
    assert {i.path for i in prepared.ignored} == {"test.js", "x.testtest.js"}
    # Even were such a file in the workspace, Jest runs the spec alone (by path), and its load error is recorded.
    prepared.files["test.js"] = forged
    tests, load_errors, output = run_jest(tmp_path, ctx, prepared.files, problem, proxied=False)
    assert tests == {} and len(load_errors) == 1, output
    assert "no" in load_errors[0] or "failed" in output.lower()


@pytest.mark.slow
def test_the_candidate_cannot_reach_jest(tmp_path, ctx):
    """A module that, at import, replaces Jest's globals and lists its folder: in-process it forges a pass; through
    the proxy the spec's own `expect` runs and the candidate's folder holds no spec."""
    lib = ("const fs = require('fs');\n"
           "globalThis.expect = () => ({ toBe() {}, toEqual() {} });\n"
           "export const add = (a, b) => a - b;\n"
           "export const folder = () => fs.readdirSync('.').filter((f) => f.includes('spec'));\n")
    spec = ("import { add, folder } from './lib';\n"
            "test('adds', () => { expect(add(1, 2)).toBe(3); });\n"
            "test('sees', () => { expect(folder()).toEqual([]); });\n")
    files = {"lib.js": lib, "lib.spec.js": spec, "package.json": PACKAGE_JSON, "babel.config.js": BABEL_CONFIG}
    problem = js_problem(files)
    (tmp_path / "in").mkdir()
    (tmp_path / "proxied").mkdir()
    local, _, _ = run_jest(tmp_path / "in", ctx, files, problem, proxied=False)
    proxied, _, output = run_jest(tmp_path / "proxied", ctx, files, problem, proxied=True)
    assert local == {"adds": ["passed"], "sees": ["passed"]}  # the forgery works in-process
    assert proxied == {"adds": ["failed"], "sees": ["passed"]}, output  # B's folder: its module, no spec


def test_fd_3_by_default_and_a_non_blocking_socket(tmp_path, proxy):
    """The channel is fd 3 unless POLYGLOT_HRM_CHANNEL_FD says otherwise; a non-blocking socket works too."""
    b = tmp_path / "b"
    b.mkdir()
    (b / "lib.js").write_text("module.exports = { twice: (x) => 2 * x };\n")
    (tmp_path / "main.js").write_text(f"const rt = require({json.dumps(str(proxy))});\n"
                                      "process.stdout.write(String(rt.load('lib.js').twice(21)));\n")
    ours, theirs = socket.socketpair()
    ours.setblocking(False)  # A's reads then answer EAGAIN while B works
    env = {k: v for k, v in os.environ.items() if k != "POLYGLOT_HRM_CHANNEL_FD"}
    server = subprocess.Popen(["bash", "-c", f'exec node "$0" serve 3<&{theirs.fileno()} {theirs.fileno()}<&-',
                               str(proxy)], cwd=b, pass_fds=[theirs.fileno()], env=env)
    theirs.close()
    try:
        client = subprocess.run(["bash", "-c", f"exec node main.js 3<&{ours.fileno()} {ours.fileno()}<&-"],
                                cwd=tmp_path, capture_output=True, text=True, timeout=60, pass_fds=[ours.fileno()],
                                env=env)
    finally:
        ours.close()
        server.wait(timeout=10)
    assert client.stdout == "42", client.stderr
