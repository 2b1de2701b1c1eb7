'use strict';
/*
 * polyglot-hrm's JavaScript proxy: the exercise's spec and Jest run in one process (A, trusted code only),
 * the candidate's modules in another (B, its own sandbox and uid), and this one file carries the calls
 * between them over a connected socket (fd 3, or $POLYGLOT_HRM_CHANNEL_FD). Node built-ins only: it is
 * copied into the runner cache and runs inside the sandbox, where polyglot_hrm is not importable.
 *
 *   B: `node javascript_proxy.js serve`, cwd = B's workspace (the candidate's modules, package.json,
 *      babel.config.js and a node_modules link): loads the modules the way babel-jest does (the exercise's
 *      Babel configuration, CommonJS output) and answers A's requests.
 *   A: each candidate module in A's workspace is a generated stub, `module.exports =
 *      require(<this file>).load('<module>')`, so `import { X } from './x'` gets proxies of B's exports.
 *
 * Wire: a 4-byte big-endian length, then UTF-8 JSON (at most 64 MiB). Requests {q: op, ...}, answers
 * {r: value} or {x: thrown}. Calls are synchronous for the code that makes them (blocking reads on the
 * socket); while one side waits for its answer it serves the other side's nested requests (a callback
 * calling back into the candidate), so one call is one stack of nested request/answer pairs.
 *
 * What it carries (A <-> B):
 *   - by value: primitives (undefined, NaN, +-Infinity, -0, BigInt, symbols: well-known, registered, and one local
 *     symbol per remote one), Map, Set, Date, RegExp, typed arrays, and arrays and plain objects (holes, extra own
 *     properties, sharing and cycles kept). B's arrays and plain objects are moreover one copy per B object on A's
 *     side (identity kept), written through to B's object and refreshed after any call into B, so a spec that
 *     changes a returned array changes B's state exactly when B returned its own state; a plain value A passed and
 *     B changed during the call (an array sorted in place) is written back when the call returns. Nesting deeper
 *     than 64 or more than 200,000 values in one message goes by handle instead.
 *   - errors by value as real local errors (Error subclasses of the other side's own classes included, so
 *     `toThrow(CustomError)` and `toThrow(new Error('msg'))` work), with name, message, stack and own data.
 *   - by handle: functions and classes (call, `new`, statics, `instanceof` against the proxied class), class
 *     instances and any other object (methods, getters/setters, own data for `toEqual`, `toString`,
 *     Symbol.iterator, generators and iterators), each remote object one local proxy (identity kept);
 *     B's promises (A polls B until they settle).
 *   - callbacks A passes to B (jest.fn mocks included: A records their calls): one identity per callback on B's side.
 * What it refuses (A is the trusted side: nothing B sends makes A run code of B's choosing):
 *   - B's data is JSON; A never evals, builds functions from text, or requires a name B sent;
 *   - A answers B's requests only for objects A itself handed to B and only: call a callback A passed, iterate
 *     an iterable A passed, read a property of plain data (not starting with `_`, not constructor, prototype or
 *     __proto__; functions read that way come back undefined), list such keys; A's stack traces stay in A;
 *   - the hooks through which Jest would let a value decide a comparison (asymmetricMatch, isEqualNode,
 *     $$typeof, Immutable's sentinels) read undefined on B's objects, and `instanceof` never asks B;
 *   - message size (64 MiB), decoding depth and nested calls are bounded; a broken, hostile or dead B makes the
 *     call throw in A (a failed test), never a hang beyond the run's own clock.
 * What it cannot carry (such exercises run in-process: polyglot_hrm.languages.javascript.IN_PROCESS and the
 * patterns beside it): A's promises handed to B (B's own promises are polled), jest.mock of the candidate's
 * imports, fake timers driving B's timers, specs that start `node` themselves. And, named: a plain value one side
 * keeps and changes after the call that carried it is a copy the other side does not see (A's arguments; B's Map
 * and Set), and a spec subclassing a candidate class gets B's base instance with the subclass's prototype on A's
 * side (B's own code does not see A's overrides).
 */

const fs = require('fs');
const path = require('path');

const PROTOCOL = 1;
const CHANNEL_ENV = 'POLYGLOT_HRM_CHANNEL_FD';
const DEFAULT_FD = 3;
const MAX_FRAME = 64 * 1024 * 1024;
const MAX_DEPTH = 64; // by-value nesting; deeper containers go by handle
const MAX_NODES = 200000; // by-value values per message; beyond, containers go by handle
const MAX_WIRE_DEPTH = 2000; // decoding recursion
const MAX_NESTED_CALLS = 1000; // callbacks within calls within callbacks ...
const MAX_NAME = 200;
// Requests that only read B's objects: they leave A's copies of B's arrays and objects current.
const READS = new Set(['get', 'has', 'keys', 'desc', 'snap']);

// Keys through which Jest's equality would hand the decision to the value itself.
const DENIED_KEYS = new Set([
  'asymmetricMatch', 'isEqualNode', 'nodeType', 'nodeName', '$$typeof',
  '@@__IMMUTABLE_KEYED__@@', '@@__IMMUTABLE_SET__@@', '@@__IMMUTABLE_LIST__@@', '@@__IMMUTABLE_ORDERED__@@',
  '@@__IMMUTABLE_RECORD__@@', '@@__IMMUTABLE_ITERABLE__@@',
  Symbol.for('jest.asymmetricMatcher'),
]);
const WELL_KNOWN_SYMBOLS = ['iterator', 'asyncIterator', 'hasInstance', 'toPrimitive', 'toStringTag', 'species',
  'isConcatSpreadable', 'unscopables', 'match', 'matchAll', 'replace', 'search', 'split'];
const ERROR_NAMES = ['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError',
  'AggregateError'];
// This realm's globals both sides name rather than proxy (in A, the realm is Jest's test context).
const GLOBAL_NAMES = [...ERROR_NAMES, 'Object', 'Function', 'Array', 'Map', 'Set', 'WeakMap', 'WeakSet', 'Date',
  'RegExp', 'Promise', 'Symbol', 'Number', 'String', 'Boolean', 'BigInt', 'Math', 'JSON', 'Reflect'];

class ProxyError extends Error {}
ProxyError.prototype.name = 'ProxyError';

function wellKnownGlobals() {
  const byName = new Map();
  const byValue = new Map();
  for (const name of GLOBAL_NAMES) {
    const value = globalThis[name];
    if (value === undefined) continue;
    byName.set(name, value);
    byValue.set(value, name);
    if (typeof value === 'function' && value.prototype) {
      byName.set(name + '.prototype', value.prototype);
      byValue.set(value.prototype, name + '.prototype');
    }
  }
  const iterProto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
  byName.set('%IteratorPrototype%', iterProto);
  byValue.set(iterProto, '%IteratorPrototype%');
  return { byName, byValue };
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ------------------------------------------------------------------------------------------------ transport

/** Framed JSON over a blocking file descriptor (a socket of a socketpair). */
class Channel {
  constructor(fd) {
    this.fd = fd;
    this.buffer = Buffer.alloc(64 * 1024);
    this.start = 0;
    this.end = 0;
  }

  send(message) {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    if (body.length > MAX_FRAME) throw new ProxyError(`a value too large to carry (${body.length} bytes)`);
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    body.copy(frame, 4);
    let off = 0;
    while (off < frame.length) {
      try {
        off += fs.writeSync(this.fd, frame, off, frame.length - off);
      } catch (err) {
        if (err.code === 'EAGAIN') { sleepMs(1); continue; }
        if (err.code === 'EINTR') continue;
        throw new ProxyError(`the other process is gone (${err.code || err.message})`);
      }
    }
  }

  receive() {
    const length = this.take(4).readUInt32BE(0);
    if (length > MAX_FRAME) throw new ProxyError(`a message of ${length} bytes (at most ${MAX_FRAME})`);
    const text = this.take(length).toString('utf8');
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ProxyError(`a message that is not JSON (${err.message.slice(0, 100)})`);
    }
  }

  /** Exactly n bytes: buffered reads, so a small message is one read(2). */
  take(n) {
    if (this.end - this.start < n) {
      if (this.buffer.length - this.start < n) {
        const bigger = Buffer.allocUnsafe(Math.max(this.buffer.length, n + 4));
        this.buffer.copy(bigger, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
        this.buffer = bigger;
      }
      while (this.end - this.start < n) this.fill();
    }
    const out = Buffer.from(this.buffer.subarray(this.start, this.start + n));
    this.start += n;
    if (this.start === this.end) this.start = this.end = 0;
    return out;
  }

  fill() {
    let count;
    try {
      count = fs.readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, null);
    } catch (err) {
      if (err.code === 'EAGAIN') { sleepMs(1); return; }
      if (err.code === 'EINTR') return;
      throw new ProxyError(`the other process is gone (${err.code || err.message})`);
    }
    if (count === 0) throw new ProxyError('the other process is gone (its end of the channel closed)');
    this.end += count;
  }
}

// ------------------------------------------------------------------------------------------------ classification

const toTag = (v) => Object.prototype.toString.call(v);

function isObjectPrototype(proto) {
  // Any realm's Object.prototype (Jest's test context has its own).
  return proto !== null && Object.getPrototypeOf(proto) === null && Object.prototype.hasOwnProperty.call(proto, 'isPrototypeOf')
    && Object.prototype.hasOwnProperty.call(proto, 'hasOwnProperty');
}

function isPlainObject(v) {
  const proto = Object.getPrototypeOf(v);
  return proto === null || proto === Object.prototype || isObjectPrototype(proto);
}

function isError(v) {
  return v instanceof Error || toTag(v) === '[object Error]';
}

function isPromise(v) {
  return toTag(v) === '[object Promise]';
}

function sameRealmProto(v, ctor) {
  return Object.getPrototypeOf(v) === ctor.prototype;
}

function isSafeKey(key) {
  return typeof key === 'string' && key.length <= MAX_NAME && !key.startsWith('_')
    && key !== 'constructor' && key !== 'prototype' && key !== '__proto__';
}

function describeKey(key) {
  return typeof key === 'symbol' ? key.toString() : String(key);
}

// ------------------------------------------------------------------------------------------------ the peer

/**
 * One side of the channel. role 'server' (B) answers any request on its own objects; role 'client' (A)
 * answers only the allow-list, on objects it handed over itself.
 */
class Peer {
  constructor(channel, role) {
    this.channel = channel;
    this.role = role;
    this.trusting = role === 'server';
    this.globals = wellKnownGlobals();
    this.broken = null;
    this.nested = 0;
    this.reset();
  }

  reset() {
    this.owned = new Map(); // id -> my object handed to the other side
    this.ownedIds = new Map(); // my object -> id
    this.rights = new Map(); // id -> Set of what the other side may do with it (client only)
    this.described = new Set(); // ids whose descriptor the other side has
    this.remote = new Map(); // the other side's id -> my local stand-in
    this.remoteIds = new WeakMap(); // my local stand-in -> the other side's id
    this.remoteSymbols = new Map(); // the other side's symbol id -> my local symbol
    this.remoteSymbolIds = new Map();
    this.promises = new Map(); // my promise id -> {state, value} (server)
    this.mirrors = new WeakSet(); // local prototypes standing in for the other side's
    this.unhanded = new WeakSet(); // stand-ins for the other side's promises, not yet handed back to it (client)
    this.targets = new WeakMap(); // stand-in -> its Proxy target (to give a subclass's instance its prototype)
    this.clientInfo = new Map(); // A's object id -> what B may do with it (server)
    this.shared = new Map(); // B's array or plain object id -> {target, proxy, epoch, frozen} (client)
    this.epoch = 0; // calls into B so far: a copy read in an older epoch is refreshed first
    this.nextId = 1;
  }

  // ------------------------------------------------------------------------------------------ requests

  request(message, states = []) {
    if (this.broken) throw new ProxyError(`the candidate's process cannot be reached: ${this.broken}`);
    if (this.nested >= MAX_NESTED_CALLS) throw new RangeError('too many nested calls between the processes');
    this.nested++;
    try {
      this.sendMessage(message, states);
      for (;;) {
        const answer = this.receiveMessage();
        if (answer !== null && typeof answer === 'object' && !Array.isArray(answer)) {
          if (typeof answer.q === 'string') { this.serve(answer); continue; }
          if ('r' in answer) return answer;
          if ('x' in answer) throw this.decodeThrown(answer.x);
        }
        this.breakWith('a message that is neither a request nor an answer');
      }
    } finally {
      this.nested--;
    }
  }

  /** Sends a message; the handles it describes count as described once it is sent. */
  sendMessage(message, states = []) {
    try {
      this.channel.send(message);
    } catch (err) {
      if (err instanceof ProxyError && /too large/.test(err.message)) throw err;
      this.breakWith(err.message);
    }
    for (const st of states) for (const id of st.fresh) this.described.add(id);
  }

  receiveMessage() {
    try {
      return this.channel.receive();
    } catch (err) {
      this.breakWith(err.message);
    }
  }

  breakWith(reason) {
    this.broken = this.broken || reason;
    throw new ProxyError(`the candidate's process cannot be reached: ${this.broken}`);
  }

  /** A request of the other side, answered (nested requests included). */
  serve(message) {
    let st = this.encodeState(true);
    let answer;
    try {
      const value = this.trusting ? this.handleAsServer(message) : this.handleAsClient(message);
      st.grant = value.grant !== false;
      for (const flat of [].concat(value.flat || [])) st.flat.add(flat);
      answer = { r: this.encode(value.value, st, 0), ...(value.extra || {}) };
      if (value.extraStates) st.fresh.push(...value.extraStates.flatMap((s) => s.fresh));
    } catch (err) {
      if (err instanceof ProxyError && this.broken) throw err;
      [answer, st] = this.thrownAnswer(err);
    }
    try {
      this.sendMessage(answer, [st]);
    } catch (err) {
      if (this.broken) throw err;
      // Too large to carry: the other side still waits for an answer to this request.
      [answer, st] = this.thrownAnswer(new RangeError(err.message));
      this.sendMessage(answer, [st]);
    }
  }

  /** An exception as an answer. A's exceptions go to B as data only (no callable handles). */
  thrownAnswer(err) {
    let st = this.encodeState(this.trusting);
    try {
      return [{ x: this.encode(err, st, 0) }, st];
    } catch (inner) {
      st = this.encodeState(this.trusting);
      return [{ x: this.encode(new Error(`an exception that could not be carried: ${inner.message}`), st, 0) }, st];
    }
  }

  // ------------------------------------------------------------------------------------------ encoding

  encodeState(grant) {
    return { nodes: 0, seen: new Map(), next: 0, grant, fresh: [], flat: new Set() };
  }

  encode(v, st, depth) {
    st.nodes++;
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        if (Number.isFinite(v) && !Object.is(v, -0)) return v;
        return { $: 'n', v: Object.is(v, -0) ? '-0' : String(v) };
      case 'undefined':
        return { $: 'u' };
      case 'bigint':
        return { $: 'bi', v: v.toString() };
      case 'symbol':
        return this.encodeSymbol(v);
      case 'function':
        return this.encodeFunction(v, st);
      default:
        return v === null ? null : this.encodeObject(v, st, depth);
    }
  }

  encodeSymbol(s) {
    for (const name of WELL_KNOWN_SYMBOLS) if (Symbol[name] === s) return { $: 'sy', w: name };
    const key = Symbol.keyFor(s);
    if (key !== undefined) return { $: 'sy', g: key };
    if (this.remoteSymbolIds.has(s)) return { $: 'sy', r: this.remoteSymbolIds.get(s) };
    return { $: 'sy', h: this.own(s, 'read'), d: String(s.description || '').slice(0, MAX_NAME) };
  }

  own(value, right) {
    let id = this.ownedIds.get(value);
    if (id === undefined) {
      id = this.nextId++;
      this.ownedIds.set(value, id);
      this.owned.set(id, value);
    }
    if (!this.trusting && right) {
      if (!this.rights.has(id)) this.rights.set(id, new Set());
      this.rights.get(id).add(right);
    }
    return id;
  }

  encodeGlobalOrRemote(v) {
    const name = this.globals.byValue.get(v);
    if (name !== undefined) return { $: 'g', n: name };
    const rid = this.remoteIds.get(v);
    if (rid !== undefined) {
      if (this.unhanded.has(v)) {
        // A's stand-in for B's promise goes back to B: B's code now holds the promise (as in one process, where
        // it is one object), so its rejection is B's to handle, not an unhandled rejection here.
        this.unhanded.delete(v);
        v.then(undefined, () => {});
      }
      return { $: 'r', h: rid };
    }
    return undefined;
  }

  encodeFunction(f, st) {
    const known = this.encodeGlobalOrRemote(f);
    if (known) return known;
    if (!st.grant) return { $: 'u' }; // A hands B a function only on purpose (an argument, a callback's result)
    const id = this.own(f, 'call');
    const out = { $: 'h', h: id, k: 'f' };
    if (!this.described.has(id) && !st.fresh.includes(id)) {
      st.fresh.push(id);
      out.d = this.describeFunction(f, st);
    }
    return out;
  }

  describeFunction(f, st) {
    const d = { n: safeName(f), l: safeLength(f) };
    if (!this.trusting) return d; // B learns a callback's name and length, nothing else
    let source = '';
    try { source = Function.prototype.toString.call(f); } catch (err) { /* a revoked proxy */ }
    d.c = /^class\b/.test(source) ? 1 : 0;
    d.o = Object.getOwnPropertyNames(f).filter((k) => !['prototype', 'name', 'length'].includes(k)).slice(0, 100);
    const proto = ownDataValue(f, 'prototype');
    if (proto !== null && typeof proto === 'object') d.p = this.encodeProto(proto, st);
    const parent = Object.getPrototypeOf(f);
    if (typeof parent === 'function' && parent !== Function.prototype) d.s = this.encode(parent, st, 0);
    return d;
  }

  /** A prototype object: its methods are mirrored on the other side, the rest stays remote. */
  encodeProto(proto, st) {
    if (proto === null) return null;
    const known = this.encodeGlobalOrRemote(proto);
    if (known) return known;
    if (!this.trusting) {
      // A's own classes stay A's: B learns the nearest built-in (an error of the tests' class is an Error to B).
      for (let p = safePrototype(proto); p !== null; p = safePrototype(p)) {
        const name = this.globals.byValue.get(p);
        if (name !== undefined) return { $: 'g', n: name };
      }
      return null;
    }
    const id = this.own(proto, 'read');
    const out = { $: 'h', h: id, k: 'P' };
    if (!this.described.has(id) && !st.fresh.includes(id)) {
      st.fresh.push(id);
      const methods = [];
      const data = [];
      for (const key of Reflect.ownKeys(proto)) {
        if (key === 'constructor') continue;
        const desc = Reflect.getOwnPropertyDescriptor(proto, key);
        const wire = typeof key === 'symbol' ? this.encodeSymbol(key) : key;
        if (desc && 'value' in desc && typeof desc.value === 'function') methods.push([wire, desc.enumerable ? 1 : 0]);
        else if (key === Symbol.toStringTag && desc && typeof desc.value === 'string') data.push([wire, desc.value]);
      }
      out.d = { m: methods, v: data, s: this.encodeProto(Object.getPrototypeOf(proto), st) };
      const ctor = ownDataValue(proto, 'constructor');
      if (typeof ctor === 'function' && ownDataValue(ctor, 'prototype') === proto) out.d.c = this.encode(ctor, st, 0);
    }
    return out;
  }

  encodeObject(v, st, depth) {
    const known = this.encodeGlobalOrRemote(v);
    if (known) return known;
    const index = st.seen.get(v);
    if (index !== undefined) return { $: 'ref', i: index };
    if (isError(v)) return this.encodeError(v, st, depth);
    if (this.trusting && isPromise(v)) return this.encodePromise(v);
    const budget = depth < MAX_DEPTH && st.nodes < MAX_NODES;
    if (budget && Array.isArray(v)) return this.encodeArray(v, st, depth);
    if (budget && isPlainObject(v)) return this.encodePlain(v, st, depth);
    if (budget && v instanceof Map && sameRealmProto(v, Map)) {
      const out = { $: 'm', i: this.mark(v, st), v: [] };
      for (const [key, value] of v) out.v.push([this.encode(key, st, depth + 1), this.encode(value, st, depth + 1)]);
      return out;
    }
    if (budget && v instanceof Set && sameRealmProto(v, Set)) {
      const out = { $: 's', i: this.mark(v, st), v: [] };
      for (const value of v) out.v.push(this.encode(value, st, depth + 1));
      return out;
    }
    if (v instanceof Date && sameRealmProto(v, Date)) {
      const time = v.getTime();
      return { $: 'd', v: Number.isNaN(time) ? null : time };
    }
    if (v instanceof RegExp && sameRealmProto(v, RegExp)) return { $: 're', s: v.source, f: v.flags, l: v.lastIndex };
    if (budget && ArrayBuffer.isView(v) && !(v instanceof DataView) && typedArrayName(v)) {
      return { $: 'ta', t: typedArrayName(v), v: Array.from(v, (x) => (typeof x === 'bigint' ? x.toString() : x)) };
    }
    return this.encodeHandle(v, st);
  }

  mark(v, st) {
    const index = st.next++;
    st.seen.set(v, index);
    return index;
  }

  /** B's arrays and plain objects carry a handle: A keeps one copy per object, in step with it (see decodeShared). */
  shareId(v, st) {
    return this.trusting && !st.flat.has(v) ? this.own(v, 'read') : undefined;
  }

  encodeArray(v, st, depth) {
    const out = { $: 'a', i: this.mark(v, st), v: new Array(v.length) };
    const id = this.shareId(v, st);
    if (id !== undefined) out.h = id;
    for (let i = 0; i < v.length; i++) {
      out.v[i] = Object.prototype.hasOwnProperty.call(v, i) ? this.encode(v[i], st, depth + 1) : { $: 'hole' };
    }
    const extra = [];
    for (const key of Object.keys(v)) {
      if (String(key >>> 0) !== key || key >>> 0 >= v.length) extra.push([key, this.encode(v[key], st, depth + 1)]);
    }
    if (extra.length) out.p = extra;
    return out;
  }

  encodePlain(v, st, depth) {
    const out = { $: 'o', i: this.mark(v, st), v: [] };
    const id = this.shareId(v, st);
    if (id !== undefined) out.h = id;
    if (Object.getPrototypeOf(v) === null) out.np = 1;
    for (const key of Object.keys(v)) {
      if (!this.trusting && !st.grant && !isSafeKey(key)) continue;
      out.v.push([key, this.encode(v[key], st, depth + 1)]);
    }
    for (const sym of Object.getOwnPropertySymbols(v)) {
      const desc = Object.getOwnPropertyDescriptor(v, sym);
      if (desc && desc.enumerable) out.v.push([this.encodeSymbol(sym), this.encode(v[sym], st, depth + 1)]);
    }
    if (Object.isFrozen(v)) out.fz = 1;
    return out;
  }

  encodeError(e, st, depth) {
    const out = { $: 'e', i: this.mark(e, st) };
    if (this.trusting) out.h = this.own(e, 'read');
    out.p = this.encodeProto(Object.getPrototypeOf(e), st);
    out.m = stringProperty(e, 'message');
    // The tests' stack (their file and lines) is none of B's business: B gets the name and the message.
    out.s = this.trusting ? stringProperty(e, 'stack').slice(0, 8000) : '';
    const name = stringProperty(e, 'name');
    if (name) out.n = name;
    const own = [];
    let keys = [];
    try { keys = Object.keys(e); } catch (err) { /* a hostile proxy */ }
    for (const key of keys) {
      if (key === 'message' || key === 'stack') continue;
      if (!this.trusting && !isSafeKey(key)) continue;
      try { own.push([key, this.encode(e[key], st, depth + 1)]); } catch (err) { /* an accessor that throws */ }
    }
    if (own.length) out.x = own;
    return out;
  }

  encodePromise(p) {
    const id = this.own(p, 'read');
    if (!this.promises.has(id)) {
      const record = { state: 'pending', value: undefined };
      this.promises.set(id, record);
      p.then((value) => { record.state = 'fulfilled'; record.value = value; },
        (reason) => { record.state = 'rejected'; record.value = reason; });
    }
    return { $: 'p', h: id };
  }

  encodeHandle(v, st) {
    const id = this.own(v, 'read');
    const out = { $: 'h', h: id, k: 'o' };
    if (!this.described.has(id) && !st.fresh.includes(id)) {
      st.fresh.push(id);
      if (this.trusting) {
        out.d = { p: this.encodeProto(safePrototype(v), st), a: Array.isArray(v) ? 1 : 0 };
      } else {
        const rights = this.rights.get(id);
        out.d = { it: typeof safeGet(v, Symbol.iterator) === 'function' ? 1 : 0, nx: rights.has('next') ? 1 : 0 };
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------ decoding

  decodeTop(wire) {
    return this.decode(wire, { seen: [] }, 0);
  }

  decode(w, st, depth) {
    if (depth > MAX_WIRE_DEPTH) throw new ProxyError('a value nested too deeply');
    if (w === null || typeof w !== 'object') {
      if (typeof w === 'number' || typeof w === 'string' || typeof w === 'boolean' || w === null) return w;
      throw new ProxyError('a malformed value');
    }
    if (Array.isArray(w)) throw new ProxyError('a malformed value (an untagged array)');
    switch (w.$) {
      case 'u': return undefined;
      case 'n': return decodeNumber(w.v);
      case 'bi': return BigInt(checkString(w.v));
      case 'sy': return this.decodeSymbol(w);
      case 'g': return this.decodeGlobal(w.n);
      case 'r': return this.decodeOwnedRef(w.h);
      case 'ref': {
        if (!Number.isInteger(w.i) || w.i < 0 || w.i >= st.seen.length) throw new ProxyError('a malformed reference');
        return st.seen[w.i];
      }
      case 'a': return w.h === undefined || this.trusting ? this.decodeArray(w, st, depth) : this.decodeShared(w, st, depth);
      case 'o': return w.h === undefined || this.trusting ? this.decodePlain(w, st, depth) : this.decodeShared(w, st, depth);
      case 'm': {
        const out = new Map();
        this.remember(w, out, st);
        for (const [key, value] of checkArray(w.v)) out.set(this.decode(key, st, depth + 1), this.decode(value, st, depth + 1));
        return out;
      }
      case 's': {
        const out = new Set();
        this.remember(w, out, st);
        for (const value of checkArray(w.v)) out.add(this.decode(value, st, depth + 1));
        return out;
      }
      case 'd': return new Date(w.v === null ? NaN : Number(w.v));
      case 're': {
        const out = new RegExp(checkString(w.s), checkString(w.f));
        out.lastIndex = Number(w.l) || 0;
        return out;
      }
      case 'ta': return decodeTyped(w);
      case 'e': return this.decodeError(w, st, depth);
      case 'h': return this.decodeHandle(w, st, depth);
      case 'p': return this.decodePromise(w);
      default: throw new ProxyError(`a malformed value (tag ${String(w.$).slice(0, 20)})`);
    }
  }

  remember(w, value, st) {
    if (w.i !== st.seen.length) throw new ProxyError('a malformed value (container index)');
    st.seen.push(value);
  }

  decodeSymbol(w) {
    if (typeof w.w === 'string') {
      if (!WELL_KNOWN_SYMBOLS.includes(w.w)) throw new ProxyError('an unknown well-known symbol');
      return Symbol[w.w];
    }
    if (typeof w.g === 'string') return Symbol.for(w.g);
    if (w.r !== undefined) {
      const own = this.decodeOwnedRef(w.r);
      if (typeof own !== 'symbol') throw new ProxyError('a malformed symbol');
      return own;
    }
    checkId(w.h);
    let s = this.remoteSymbols.get(w.h);
    if (!s) {
      s = Symbol(typeof w.d === 'string' ? w.d.slice(0, MAX_NAME) : '');
      this.remoteSymbols.set(w.h, s);
      this.remoteSymbolIds.set(s, w.h);
    }
    return s;
  }

  decodeGlobal(name) {
    if (!this.globals.byName.has(name)) throw new ProxyError('an unknown global');
    return this.globals.byName.get(name);
  }

  decodeOwnedRef(id) {
    checkId(id);
    if (!this.owned.has(id)) throw new ProxyError('a reference to an object this side never handed over');
    return this.owned.get(id);
  }

  decodeArray(w, st, depth, into = null) {
    const items = checkArray(w.v);
    const out = into || new Array(items.length);
    if (into) into.length = items.length;
    this.remember(w, into ? this.shared.get(w.h).proxy : out, st);
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item !== null && typeof item === 'object' && item.$ === 'hole') continue;
      out[i] = this.decode(item, st, depth + 1);
    }
    if (w.p !== undefined) {
      for (const [key, value] of checkArray(w.p)) defineData(out, checkString(key), this.decode(value, st, depth + 1), true);
    }
    return out;
  }

  decodePlain(w, st, depth, into = null) {
    const out = into || (w.np ? Object.create(null) : {});
    this.remember(w, into ? this.shared.get(w.h).proxy : out, st);
    for (const entry of checkArray(w.v)) {
      if (!Array.isArray(entry) || entry.length !== 2) throw new ProxyError('a malformed object entry');
      const key = typeof entry[0] === 'string' ? entry[0] : this.decodeSymbol(entry[0]);
      const value = this.decode(entry[1], st, depth + 1);
      if (!this.trusting && DENIED_KEYS.has(key)) continue;
      defineData(out, key, value, true);
    }
    if (w.fz && !into) Object.freeze(out);
    return out;
  }

  /**
   * An array or plain object of B: a local copy behind a Proxy, one per B object (identity kept), read at local
   * speed. Writes go to the copy and to B's object (a spec that pushes onto a returned array changes B's state
   * when B returned its own state, as in-process); after any call into B, the next read refreshes the copy.
   */
  decodeShared(w, st, depth) {
    checkId(w.h);
    let record = this.shared.get(w.h);
    if (record === undefined) {
      const target = w.$ === 'a' ? [] : (w.np ? Object.create(null) : {});
      record = { target, epoch: -1, frozen: false, proxy: null };
      record.proxy = new Proxy(target, this.sharedHandler(w.h, record));
      this.shared.set(w.h, record);
      this.adopt(w.h, record.proxy);
    } else if (Array.isArray(record.target) !== (w.$ === 'a')) {
      throw new ProxyError('a malformed value (an object changed kind)');
    }
    const target = record.target;
    for (const key of Reflect.ownKeys(target)) if (key !== 'length') delete target[key];
    if (w.$ === 'a') this.decodeArray(w, st, depth, target);
    else this.decodePlain(w, st, depth, target);
    record.frozen = !!w.fz;
    record.epoch = this.epoch;
    return record.proxy;
  }

  sharedHandler(id, record) {
    const peer = this;
    const fresh = () => {
      if (record.epoch !== peer.epoch) {
        peer.decodeTop(peer.request({ q: 'snap', o: id }).r); // refills record.target, sets its epoch
        record.epoch = peer.epoch;
      }
    };
    const write = (message, local) => {
      if (record.frozen) return false;
      const done = peer.call(message);
      if (done !== false) local();
      record.epoch = peer.epoch; // the copy had the same change
      return done !== false;
    };
    return {
      get(t, key, receiver) { fresh(); return Reflect.get(t, key, receiver); },
      has(t, key) { fresh(); return Reflect.has(t, key); },
      ownKeys(t) { fresh(); return Reflect.ownKeys(t); },
      getOwnPropertyDescriptor(t, key) { fresh(); return Reflect.getOwnPropertyDescriptor(t, key); },
      set(t, key, value) {
        fresh();
        return write({ q: 'set', o: id, k: key, v: value }, () => Reflect.set(t, key, value));
      },
      deleteProperty(t, key) {
        fresh();
        return write({ q: 'del', o: id, k: key }, () => Reflect.deleteProperty(t, key));
      },
      defineProperty(t, key, desc) {
        fresh();
        if (!('value' in desc)) return false;
        return write({ q: 'set', o: id, k: key, v: desc.value }, () => Reflect.defineProperty(t, key, desc));
      },
    };
  }

  decodeError(w, st, depth) {
    if (w.h !== undefined && this.remote.has(w.h)) {
      const known = this.remote.get(w.h);
      this.remember(w, known, st);
      return known;
    }
    const proto = w.p === null ? Error.prototype : this.decodeProtoRef(w.p, st, depth);
    const base = errorBase(proto) || Error;
    const message = typeof w.m === 'string' ? w.m : '';
    const Target = function () {};
    Target.prototype = proto && typeof proto === 'object' ? proto : Error.prototype;
    const out = Reflect.construct(base, base.name === 'AggregateError' ? [[], message] : [message], Target);
    if (typeof w.m !== 'string') delete out.message;
    this.remember(w, out, st);
    if (typeof w.s === 'string' && w.s) defineData(out, 'stack', w.s, false);
    if (w.h !== undefined) {
      checkId(w.h);
      this.remote.set(w.h, out);
      this.remoteIds.set(out, w.h);
    }
    for (const [key, value] of checkArray(w.x || [])) {
      if (typeof key !== 'string' || key === '__proto__' || DENIED_KEYS.has(key)) continue;
      defineData(out, key, this.decode(value, st, depth + 1), true);
    }
    if (typeof w.n === 'string' && out.name !== w.n && !Object.prototype.hasOwnProperty.call(out, 'name')) {
      // A name set in a way that left no own property nor a mirrored prototype value: keep it readable.
      defineData(out, 'name', w.n, false);
    }
    return out;
  }

  decodeProtoRef(w, st, depth) {
    const proto = this.decode(w, st, depth + 1);
    if (proto !== null && typeof proto !== 'object' && typeof proto !== 'function') throw new ProxyError('a malformed prototype');
    return proto;
  }

  decodeHandle(w, st, depth) {
    checkId(w.h);
    const existing = this.remote.get(w.h);
    if (existing !== undefined) {
      const info = this.clientInfo.get(w.h);
      if (info && w.d && typeof w.d === 'object') Object.assign(info, { it: !!w.d.it, nx: !!w.d.nx });
      return existing;
    }
    if (w.d === undefined || w.d === null || typeof w.d !== 'object') throw new ProxyError('a handle never described');
    switch (w.k) {
      case 'f': return this.trusting ? this.callbackStandIn(w.h, w.d) : this.functionStandIn(w.h, w.d, st, depth);
      case 'P': return this.protoStandIn(w.h, w.d, st, depth);
      case 'o': return this.trusting ? this.clientObjectStandIn(w.h, w.d) : this.objectStandIn(w.h, w.d, st, depth);
      default: throw new ProxyError('a malformed handle');
    }
  }

  adopt(id, standIn) {
    this.remote.set(id, standIn);
    this.remoteIds.set(standIn, id);
    return standIn;
  }

  // ------------------------------------------------------------------------------------------ A's stand-ins for B

  /** A function or class of B: callable and constructible here, `prototype` a local mirror. */
  functionStandIn(id, d, st, depth) {
    const peer = this;
    const target = function () {};
    Object.defineProperty(target, 'name', { value: typeof d.n === 'string' ? d.n.slice(0, MAX_NAME) : '' });
    Object.defineProperty(target, 'length', { value: Number.isInteger(d.l) ? d.l : 0 });
    const standIn = new Proxy(target, {
      apply(t, thisArg, args) {
        return peer.call({ q: 'call', f: id, t: thisArg, a: args });
      },
      construct(t, args, newTarget) {
        // A subclass the tests wrote stays here (B is never handed it): B builds the base, the prototype is ours.
        const nt = newTarget !== standIn && peer.remoteIds.has(newTarget) ? newTarget : undefined;
        const made = peer.call({ q: 'new', f: id, a: args, nt });
        if (newTarget !== standIn) {
          const proto = newTarget.prototype;
          if (proto !== null && typeof proto === 'object') reprototype(peer, made, proto);
        }
        return made;
      },
      get(t, key, receiver) {
        if (DENIED_KEYS.has(key)) return undefined;
        if (key === 'prototype' || key === 'name' || key === 'length') return Reflect.get(t, key);
        if (key === Symbol.hasInstance) return Function.prototype[Symbol.hasInstance];
        if (typeof key === 'string' && key in Function.prototype && !(d.o || []).includes(key)) return Reflect.get(t, key, receiver);
        return peer.call({ q: 'get', o: id, k: key });
      },
      set(t, key, value) {
        // B's answer is Reflect.set's: false (a getter without a setter, a frozen object) makes the assignment
        // throw a TypeError in strict code, as the real object's would.
        return peer.call({ q: 'set', o: id, k: key, v: value }) !== false;
      },
      has(t, key) {
        if (key === 'prototype' || key === 'name' || key === 'length') return true;
        return peer.call({ q: 'has', o: id, k: key });
      },
      deleteProperty(t, key) {
        return peer.call({ q: 'del', o: id, k: key });
      },
    });
    this.adopt(id, standIn);
    target.prototype = d.p === undefined || d.p === null ? {} : this.decodeProtoRef(d.p, st, depth);
    if (d.s !== undefined) {
      const parent = this.decode(d.s, st, depth + 1);
      if (typeof parent === 'function') Object.setPrototypeOf(target, parent);
    }
    return standIn;
  }

  /** A prototype of B: methods become local functions that call B's, everything else stays remote. */
  protoStandIn(id, d, st, depth) {
    const mirror = {};
    this.adopt(id, mirror);
    this.mirrors.add(mirror);
    const parent = d.s === undefined || d.s === null ? null : this.decodeProtoRef(d.s, st, depth);
    Object.setPrototypeOf(mirror, parent);
    for (const entry of checkArray(d.m || [])) {
      const key = typeof entry[0] === 'string' ? entry[0] : this.decodeSymbol(entry[0]);
      if (DENIED_KEYS.has(key) || key === '__proto__') continue;
      Object.defineProperty(mirror, key, { value: this.methodStandIn(id, key), writable: true, enumerable: !!entry[1], configurable: true });
    }
    for (const entry of checkArray(d.v || [])) {
      const key = typeof entry[0] === 'string' ? entry[0] : this.decodeSymbol(entry[0]);
      if (key === Symbol.toStringTag && typeof entry[1] === 'string') {
        Object.defineProperty(mirror, key, { value: entry[1], writable: false, enumerable: false, configurable: true });
      }
    }
    if (d.c !== undefined) {
      const ctor = this.decode(d.c, st, depth + 1);
      if (typeof ctor === 'function') Object.defineProperty(mirror, 'constructor', { value: ctor, writable: true, enumerable: false, configurable: true });
    }
    return mirror;
  }

  methodStandIn(protoId, key) {
    const peer = this;
    const method = function (...args) {
      const self = peer.remoteIds.get(this);
      if (self !== undefined && !peer.mirrors.has(this)) return peer.call({ q: 'inv', o: self, k: key, a: args });
      return peer.call({ q: 'callp', p: protoId, k: key, t: this, a: args });
    };
    Object.defineProperty(method, 'name', { value: typeof key === 'symbol' ? `[${key.description}]` : key });
    return method;
  }

  /** An object of B (a class instance, an iterator, ...): a Proxy whose prototype is the local mirror. */
  objectStandIn(id, d, st, depth) {
    const peer = this;
    const target = d.a ? [] : {};
    // B's own properties as of the last read in this epoch: Jest's equality lists the keys, asks each one's
    // descriptor, then reads it; with the snapshot that is one round trip per object, not three per key.
    const own = { epoch: -1, props: null };
    const snapshot = () => {
      if (own.epoch !== peer.epoch) {
        const entries = peer.call({ q: 'keys', o: id, d: 1 });
        if (!Array.isArray(entries)) throw new ProxyError('a malformed key list');
        own.props = new Map();
        for (const entry of entries) {
          if (!Array.isArray(entry) || (typeof entry[0] !== 'string' && typeof entry[0] !== 'symbol')) continue;
          own.props.set(entry[0], { enumerable: !!entry[1], data: !!entry[2], value: entry[3] });
        }
        own.epoch = peer.epoch;
      }
      return own.props;
    };
    const cached = (key) => (own.epoch === peer.epoch ? own.props.get(key) : undefined);
    const standIn = new Proxy(target, {
      get(t, key, receiver) {
        if (DENIED_KEYS.has(key)) return undefined;
        const prop = cached(key);
        if (prop && prop.data) return prop.value;
        // Methods are mirrored on the local prototypes (one round trip per call, not two); the rest is B's.
        for (let p = Object.getPrototypeOf(t); p !== null; p = Object.getPrototypeOf(p)) {
          const desc = Reflect.getOwnPropertyDescriptor(p, key);
          if (desc) return desc.get ? desc.get.call(receiver) : desc.value;
        }
        return peer.call({ q: 'get', o: id, k: key });
      },
      set(t, key, value) {
        // B's answer is Reflect.set's: false (a getter without a setter, a frozen object) makes the assignment
        // throw a TypeError in strict code, as the real object's would.
        return peer.call({ q: 'set', o: id, k: key, v: value }) !== false;
      },
      has(t, key) {
        return peer.call({ q: 'has', o: id, k: key });
      },
      deleteProperty(t, key) {
        return peer.call({ q: 'del', o: id, k: key });
      },
      ownKeys(t) {
        const out = [...snapshot().keys()];
        if (Array.isArray(t) && !out.includes('length')) out.push('length');
        return out;
      },
      getOwnPropertyDescriptor(t, key) {
        const props = snapshot();
        const prop = props.get(key);
        if (prop && prop.data && !(Array.isArray(t) && key === 'length')) {
          return { value: prop.value, writable: true, enumerable: prop.enumerable, configurable: true };
        }
        const desc = !prop && !(Array.isArray(t) && key === 'length') ? null : peer.call({ q: 'desc', o: id, k: key });
        if (desc === undefined || desc === null) {
          if (Array.isArray(t) && key === 'length') return Reflect.getOwnPropertyDescriptor(t, key);
          return undefined;
        }
        if (Array.isArray(t) && key === 'length') {
          return { value: desc.value, writable: true, enumerable: false, configurable: false };
        }
        return { value: desc.value, writable: true, enumerable: !!desc.enumerable, configurable: true };
      },
      defineProperty(t, key, desc) {
        if ('value' in desc) peer.call({ q: 'set', o: id, k: key, v: desc.value });
        return true;
      },
    });
    this.adopt(id, standIn);
    const proto = d.p === undefined ? null : this.decodeProtoRef(d.p, st, depth);
    if (proto !== Object.getPrototypeOf(target)) Object.setPrototypeOf(target, proto);
    this.targets.set(standIn, target);
    return standIn;
  }

  decodePromise(w) {
    checkId(w.h);
    const existing = this.remote.get(w.h);
    if (existing !== undefined) return existing;
    const peer = this;
    const promise = new Promise((resolve, reject) => {
      let delay = 0;
      const poll = () => {
        let answer;
        try {
          answer = peer.call({ q: 'settle', p: w.h });
        } catch (err) {
          reject(err);
          return;
        }
        if (answer && answer.s === 'f') resolve(answer.v);
        else if (answer && answer.s === 'r') reject(answer.v);
        else { delay = Math.min(10, delay + 1); setTimeout(poll, delay); }
      };
      setTimeout(poll, 0);
    });
    this.unhanded.add(promise);
    return this.adopt(w.h, promise);
  }

  /** A request of A's that returns a value (the answer decoded, and any write-back applied). */
  call(message) {
    const args = message.a;
    if (!READS.has(message.q)) this.epoch++;
    const { wire, states } = this.encodeFields(message);
    const answer = this.request(wire, states);
    const value = this.decodeTop(answer.r);
    if (Array.isArray(answer.w) && Array.isArray(args)) this.writeBack(args, answer.w);
    return value;
  }

  /** B changed plain values it received (sorted an array in place): the same change on A's originals. */
  writeBack(args, changes) {
    for (const change of changes) {
      if (!Array.isArray(change) || change.length !== 2 || !Number.isInteger(change[0])) continue;
      const original = args[change[0]];
      if (original === null || typeof original !== 'object' || this.remoteIds.has(original)) continue;
      patchInPlace(original, this.decodeTop(change[1]));
    }
  }

  // ------------------------------------------------------------------------------------------ B's stand-ins for A

  /** A callback of A's: one function per callback, calling back into A. */
  callbackStandIn(id, d) {
    const peer = this;
    const target = function () {};
    Object.defineProperty(target, 'name', { value: typeof d.n === 'string' ? d.n.slice(0, MAX_NAME) : '' });
    Object.defineProperty(target, 'length', { value: Number.isInteger(d.l) ? d.l : 0 });
    const standIn = new Proxy(target, {
      apply(t, thisArg, args) {
        return peer.ask({ q: 'call', f: id, t: thisArg, a: args });
      },
      construct() {
        throw new TypeError('a function of the tests cannot be constructed by the candidate');
      },
    });
    return this.adopt(id, standIn);
  }

  /** An object of A's (an iterable the tests passed): its plain data can be read, and it can be iterated. */
  clientObjectStandIn(id, described) {
    const peer = this;
    const target = {};
    const d = { it: !!described.it, nx: !!described.nx };
    this.clientInfo.set(id, d);
    const standIn = new Proxy(target, {
      get(t, key) {
        if (key === Symbol.iterator && d.it) return function () { return peer.ask({ q: 'iter', o: id }); };
        if (key === 'next' && d.nx) return function () { return peer.ask({ q: 'next', o: id }); };
        if (typeof key !== 'string') return undefined;
        return peer.ask({ q: 'get', o: id, k: key });
      },
      has(t, key) {
        if (key === Symbol.iterator) return !!d.it;
        return typeof key === 'string' && peer.ask({ q: 'has', o: id, k: key });
      },
      ownKeys() {
        const keys = peer.ask({ q: 'keys', o: id });
        return Array.isArray(keys) ? keys.filter((k) => typeof k === 'string') : [];
      },
      getOwnPropertyDescriptor(t, key) {
        if (typeof key !== 'string' || !peer.ask({ q: 'has', o: id, k: key })) return undefined;
        return { value: peer.ask({ q: 'get', o: id, k: key }), writable: false, enumerable: true, configurable: true };
      },
      set() { return false; },
    });
    return this.adopt(id, standIn);
  }

  ask(message) {
    const { wire, states } = this.encodeFields(message);
    return this.decodeTop(this.request(wire, states).r);
  }

  /** A request's fields: ids and string keys as they are, values (this, arguments, a symbol key) encoded. */
  encodeFields(message) {
    const wire = {};
    const states = [];
    for (const [key, value] of Object.entries(message)) {
      if (key === 'q' || key === 'o' || key === 'f' || key === 'p' || key === 'm' || (key === 'k' && typeof value === 'string')) {
        wire[key] = value;
      } else if (value !== undefined || key === 'v' || key === 't') {
        const st = this.encodeState(true);
        wire[key] = this.encode(value, st, 0);
        states.push(st);
      }
    }
    return { wire, states };
  }

  decodeThrown(wire) {
    try {
      return this.decodeTop(wire);
    } catch (err) {
      return new ProxyError(`an exception that could not be read (${err.message})`);
    }
  }

  // ------------------------------------------------------------------------------------------ serving

  /** A (client) answers B: only what the allow-list names, only on objects A handed over. */
  handleAsClient(m) {
    const target = (id, right) => {
      if (!Number.isInteger(id) || !this.owned.has(id) || !(this.rights.get(id) || new Set()).has(right)) {
        throw new Error(`refused: the tests' object ${String(id).slice(0, 20)} cannot be used that way`);
      }
      return this.owned.get(id);
    };
    switch (m.q) {
      case 'call': {
        const fn = target(m.f, 'call');
        const thisArg = this.decodeTop(m.t);
        const args = this.decodeTop(m.a);
        if (!Array.isArray(args)) throw new ProxyError('malformed arguments');
        return { value: Reflect.apply(fn, thisArg, args) };
      }
      case 'get': {
        if (!isSafeKey(m.k)) return { value: undefined, grant: false };
        const obj = target(m.o, 'read');
        return { value: obj[m.k], grant: false };
      }
      case 'has': {
        const obj = target(m.o, 'read');
        return { value: isSafeKey(m.k) && m.k in Object(obj), grant: false };
      }
      case 'keys': {
        const obj = target(m.o, 'read');
        return { value: Object.keys(obj).filter(isSafeKey), grant: false };
      }
      case 'iter': {
        const obj = target(m.o, 'read');
        const iterator = obj[Symbol.iterator]();
        if (iterator === null || typeof iterator !== 'object') throw new TypeError('not an iterator');
        // Often the iterable itself (a generator): described again, now with `next`.
        this.described.delete(this.own(iterator, 'next'));
        return { value: iterator };
      }
      case 'next': {
        const iterator = target(m.o, 'next');
        const step = iterator.next();
        return { value: { done: !!step.done, value: step.value } };
      }
      default:
        throw new Error(`refused: the tests do not answer '${String(m.q).slice(0, 20)}'`);
    }
  }

  /** B (server) answers A: anything on B's own objects. */
  handleAsServer(m) {
    const obj = (id) => this.decodeOwnedRef(id);
    const key = (k) => (typeof k === 'string' ? k : this.decodeTop(k));
    switch (m.q) {
      case 'hello': {
        if (m.v !== PROTOCOL) throw new ProxyError(`protocol ${m.v} (this side speaks ${PROTOCOL})`);
        if (m.s !== this.session) {
          this.reset();
          this.session = m.s;
          this.loader.fresh();
        }
        return { value: true };
      }
      case 'import': {
        const exports = this.loader.load(checkString(m.m));
        const esm = !!(exports && Object.prototype.hasOwnProperty.call(exports, '__esModule') && exports.__esModule);
        return { value: { esm, exports }, flat: exports }; // the exports object itself: a plain copy for the stub
      }
      case 'snap': return { value: obj(m.o) };
      case 'get': return { value: Reflect.get(obj(m.o), key(m.k)) };
      case 'set': return { value: Reflect.set(obj(m.o), key(m.k), this.decodeTop(m.v)) === true };
      case 'has': return { value: Reflect.has(obj(m.o), key(m.k)) };
      case 'del': return { value: Reflect.deleteProperty(obj(m.o), key(m.k)) };
      case 'keys': {
        const target = obj(m.o);
        const keys = Reflect.ownKeys(target);
        if (!m.d) return { value: keys };
        // With d: each key's enumerability and, for data properties, its value (a snapshot for A's cache).
        const entries = keys.map((k) => {
          const desc = Reflect.getOwnPropertyDescriptor(target, k);
          return desc && 'value' in desc ? [k, desc.enumerable ? 1 : 0, 1, desc.value] : [k, desc && desc.enumerable ? 1 : 0, 0];
        });
        return { value: entries, flat: [entries, ...entries] };
      }
      case 'desc': {
        const desc = Reflect.getOwnPropertyDescriptor(obj(m.o), key(m.k));
        if (!desc) return { value: null };
        const value = 'value' in desc ? desc.value : (desc.get ? Reflect.apply(desc.get, obj(m.o), []) : undefined);
        return { value: { value, enumerable: desc.enumerable } };
      }
      case 'call': return this.invoke(m, (args) => Reflect.apply(obj(m.f), this.decodeTop(m.t), args));
      case 'new': return this.invoke(m, (args) => {
        const nt = m.nt === undefined ? undefined : this.decodeTop(m.nt);
        const fn = obj(m.f);
        return Reflect.construct(fn, args, typeof nt === 'function' && this.ownedIds.has(nt) ? nt : fn);
      });
      case 'inv': return this.invoke(m, (args) => {
        const self = obj(m.o);
        const k = key(m.k);
        const fn = self[k];
        if (typeof fn !== 'function') throw new TypeError(`${describeKey(k)} is not a function`);
        return Reflect.apply(fn, self, args);
      });
      case 'callp': return this.invoke(m, (args) => {
        const proto = obj(m.p);
        const k = key(m.k);
        const fn = proto[k];
        if (typeof fn !== 'function') throw new TypeError(`${describeKey(k)} is not a function`);
        return Reflect.apply(fn, this.decodeTop(m.t), args);
      });
      case 'settle': {
        const record = this.promises.get(m.p);
        if (!record) throw new ProxyError('not a promise of this side');
        if (record.state === 'pending') return { value: { s: 'p' } };
        return { value: { s: record.state === 'fulfilled' ? 'f' : 'r', v: record.value } };
      }
      default:
        throw new ProxyError(`an unknown request '${String(m.q).slice(0, 20)}'`);
    }
  }

  /** A call with arguments; plain values among them that the call changed are sent back. */
  invoke(m, run) {
    const args = this.decodeTop(m.a);
    if (!Array.isArray(args)) throw new ProxyError('malformed arguments');
    const snapshot = (arg) => JSON.stringify(this.encode(arg, this.encodeState(true), 0));
    // Only A's plain values, copied here for the call, are written back: B's own objects A passed back (a plain
    // object B made, with getters) are B's state, which A reads through its stand-ins anyway.
    const before = args.map((arg) => (isCopied(arg) && !this.ownedIds.has(arg) ? snapshot(arg) : null));
    const value = run(args);
    const changes = [];
    const states = [];
    args.forEach((arg, i) => {
      if (before[i] === null) return;
      const st = this.encodeState(true);
      const after = this.encode(arg, st, 0);
      if (JSON.stringify(after) !== before[i]) {
        changes.push([i, after]);
        states.push(st);
      }
    });
    return { value, extra: changes.length ? { w: changes } : undefined, extraStates: states };
  }
}

// ------------------------------------------------------------------------------------------------ helpers

function safeName(f) {
  try {
    const name = Reflect.getOwnPropertyDescriptor(f, 'name');
    return name && typeof name.value === 'string' ? name.value.slice(0, MAX_NAME) : '';
  } catch (err) {
    return '';
  }
}

function safeLength(f) {
  try {
    const length = Reflect.getOwnPropertyDescriptor(f, 'length');
    return length && Number.isInteger(length.value) ? length.value : 0;
  } catch (err) {
    return 0;
  }
}

function ownDataValue(obj, key) {
  try {
    const desc = Reflect.getOwnPropertyDescriptor(obj, key);
    return desc && 'value' in desc ? desc.value : undefined;
  } catch (err) {
    return undefined;
  }
}

function safePrototype(v) {
  try {
    return Object.getPrototypeOf(v);
  } catch (err) {
    return null;
  }
}

function safeGet(v, key) {
  try {
    return v[key];
  } catch (err) {
    return undefined;
  }
}

function stringProperty(obj, key) {
  try {
    const value = obj[key];
    return typeof value === 'string' ? value : value === undefined ? '' : String(value);
  } catch (err) {
    return '';
  }
}

function typedArrayName(v) {
  const name = toTag(v).slice(8, -1);
  return /^(Ui|I)nt(8|16|32)Array$|^Uint8ClampedArray$|^Float(32|64)Array$|^Big(Ui|I)nt64Array$/.test(name) ? name : null;
}

function decodeTyped(w) {
  const name = checkString(w.t);
  if (!/^(Ui|I)nt(8|16|32)Array$|^Uint8ClampedArray$|^Float(32|64)Array$|^Big(Ui|I)nt64Array$/.test(name)) {
    throw new ProxyError('an unknown typed array');
  }
  const values = checkArray(w.v).map((x) => (name.startsWith('Big') ? BigInt(checkString(x)) : Number(x)));
  return globalThis[name].from(values);
}

function decodeNumber(v) {
  switch (v) {
    case 'NaN': return NaN;
    case 'Infinity': return Infinity;
    case '-Infinity': return -Infinity;
    case '-0': return -0;
    default: throw new ProxyError('a malformed number');
  }
}

function checkString(v) {
  if (typeof v !== 'string') throw new ProxyError('a malformed value (not a string)');
  return v;
}

function checkArray(v) {
  if (!Array.isArray(v)) throw new ProxyError('a malformed value (not a list)');
  return v;
}

function checkId(id) {
  if (!Number.isInteger(id) || id <= 0) throw new ProxyError('a malformed handle');
}

function defineData(obj, key, value, enumerable) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable, configurable: true });
}

/** The built-in error class (of this realm) at the root of a prototype chain, for Reflect.construct. */
function errorBase(proto) {
  for (let p = proto; p !== null && p !== undefined; p = Object.getPrototypeOf(p)) {
    for (const name of ERROR_NAMES) {
      if (globalThis[name] && p === globalThis[name].prototype) return globalThis[name];
    }
  }
  return null;
}

function isCopied(v) {
  if (v === null || typeof v !== 'object') return false;
  return Array.isArray(v) || isPlainObject(v) || (v instanceof Map && sameRealmProto(v, Map))
    || (v instanceof Set && sameRealmProto(v, Set));
}

function patchInPlace(original, fresh) {
  if (Array.isArray(original) && Array.isArray(fresh)) {
    original.length = fresh.length;
    for (let i = 0; i < fresh.length; i++) {
      if (i in fresh) original[i] = fresh[i];
      else delete original[i];
    }
  } else if (original instanceof Map && fresh instanceof Map) {
    original.clear();
    for (const [k, v] of fresh) original.set(k, v);
  } else if (original instanceof Set && fresh instanceof Set) {
    original.clear();
    for (const v of fresh) original.add(v);
  } else if (fresh !== null && typeof fresh === 'object' && !Array.isArray(original)) {
    for (const key of Object.keys(original)) if (!Object.prototype.hasOwnProperty.call(fresh, key)) delete original[key];
    for (const key of Object.keys(fresh)) {
      if (key === '__proto__') defineData(original, key, fresh[key], true);
      else original[key] = fresh[key];
    }
  }
}

/** An object of B made for a subclass the tests wrote: the same handle, the subclass's prototype. */
function reprototype(peer, made, proto) {
  const target = peer.targets.get(made);
  if (target) Object.setPrototypeOf(target, proto);
  else if (made !== null && typeof made === 'object') {
    try { Object.setPrototypeOf(made, proto); } catch (err) { /* a frozen error */ }
  }
}

function channelFd() {
  const raw = process.env[CHANNEL_ENV];
  if (raw === undefined || raw === '') return DEFAULT_FD;
  const fd = Number(raw);
  if (!Number.isInteger(fd) || fd < 0) throw new ProxyError(`${CHANNEL_ENV}=${raw} is not a file descriptor`);
  return fd;
}

// ------------------------------------------------------------------------------------------------ client (A)

let clientPeer = null;

function client() {
  if (clientPeer === null) {
    const peer = new Peer(new Channel(channelFd()), 'client');
    // One session per evaluation of this file: Jest evaluates it once per test file (its own module
    // registry), and B then loads the candidate's modules afresh, as Jest would.
    const session = `${process.pid}-${Date.now()}-${Math.random()}`;
    peer.request({ q: 'hello', v: PROTOCOL, s: session });
    clientPeer = peer;
  }
  return clientPeer;
}

/** The exports of the candidate's module `relative` (a path in B's workspace), as proxies. */
function load(relative) {
  const peer = client();
  const answer = peer.decodeTop(peer.request({ q: 'import', m: relative }).r);
  if (answer === null || typeof answer !== 'object') throw new ProxyError('a malformed module');
  const exports = answer.exports;
  if (answer.esm && exports !== null && typeof exports === 'object' && !Object.prototype.hasOwnProperty.call(exports, '__esModule')) {
    Object.defineProperty(exports, '__esModule', { value: true });
  }
  return exports;
}

// ------------------------------------------------------------------------------------------------ server (B)

/** Loads the candidate's modules as babel-jest would: the exercise's Babel configuration, CommonJS out. */
class Loader {
  constructor(root) {
    this.root = root;
    this.babel = null;
    this.compiled = new Map();
    const Module = require('module');
    const local = Module.createRequire(path.join(root, 'package.json'));
    try {
      this.babel = local('@babel/core');
    } catch (err) {
      this.babel = null; // no Babel: plain CommonJS modules still load
    }
    this.require = local;
    if (this.babel) this.installHook(Module);
  }

  installHook(Module) {
    const loader = this;
    const original = Module._extensions['.js'];
    Module._extensions['.js'] = function (module, filename) {
      if (!loader.transforms(filename)) return original(module, filename);
      return module._compile(loader.transform(filename, fs.readFileSync(filename, 'utf8')), filename);
    };
  }

  /** Babel's output for a module's source (kept per file and source text: a module loads again in a new session). */
  transform(filename, source) {
    const known = this.compiled.get(filename);
    if (known && known.source === source) return known.code;
    const out = this.babel.transformSync(source, {
      filename,
      cwd: this.root,
      root: this.root,
      caller: { name: 'babel-jest', supportsStaticESM: false, supportsDynamicImport: false, supportsTopLevelAwait: false },
      compact: false,
      retainLines: true,
      sourceMaps: false,
    });
    const code = out ? out.code : source;
    this.compiled.set(filename, { source, code });
    return code;
  }

  transforms(filename) {
    const rel = path.relative(this.root, filename);
    return !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(path.sep).includes('node_modules');
  }

  /**
   * Work done before the first request, while A's Jest starts (off the run's critical path): Babel and its
   * configuration loaded, each module of the workspace transformed (not run: its code runs when the tests import
   * it, as in-process), and the core-js polyfills that Babel's output requires loaded.
   */
  warm() {
    if (!this.babel) return;
    for (const filename of this.sources(this.root, 0)) {
      let code;
      try {
        code = this.transform(filename, fs.readFileSync(filename, 'utf8'));
      } catch (err) {
        continue; // the real load reports it where the tests see it
      }
      for (const match of code.matchAll(/require\("(core-js\/[\w./-]+)"\)/g)) {
        try { this.require(match[1]); } catch (err) { /* the module's own load reports it */ }
      }
    }
  }

  /** The workspace's source files Jest's transform covers (`.[jt]sx?`), not configuration, not node_modules. */
  sources(dir, depth) {
    const out = [];
    let entries = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch (err) { return out; }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      if (entry.isDirectory() && depth < 3) out.push(...this.sources(full, depth + 1));
      else if (entry.isFile() && /\.[jt]sx?$/.test(entry.name) && !/^(babel|jest)\.config\./.test(entry.name)) out.push(full);
    }
    return out;
  }

  load(relative) {
    const full = path.resolve(this.root, relative);
    const rel = path.relative(this.root, full);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new ProxyError('a module outside the workspace');
    return this.require(full);
  }

  /** A new session (a new test file in A): the candidate's modules are evaluated again. */
  fresh() {
    for (const key of Object.keys(require.cache)) {
      if (this.transforms(key)) delete require.cache[key];
    }
  }
}

function serve() {
  const root = process.cwd();
  const peer = new Peer(new Channel(channelFd()), 'server');
  peer.session = null;
  peer.loader = new Loader(root);
  peer.loader.warm();
  // One request per turn of the event loop, so that the candidate's timers, promises and worker messages
  // make progress between A's requests (A polls B's promises).
  const turn = () => {
    let message;
    try {
      message = peer.channel.receive();
    } catch (err) {
      process.exit(0); // A is gone: the run is over
    }
    if (message === null || typeof message !== 'object' || typeof message.q !== 'string') process.exit(3);
    try {
      peer.serve(message);
    } catch (err) {
      process.exit(0);
    }
    setImmediate(turn);
  };
  setImmediate(turn);
}

module.exports = { load, PROTOCOL };

if (require.main === module) {
  if (process.argv[2] === 'serve') serve();
  else {
    process.stderr.write('usage: node javascript_proxy.js serve\n');
    process.exit(2);
  }
}
