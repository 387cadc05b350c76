import type { TraceStateLike } from './types.js';

/** W3C Trace Context, tracestate "list": at most 32 list-members. */
const MAX_MEMBERS = 32;
/** "tracestate Limits": vendors SHOULD propagate at least 512 characters; this is our documented cap. */
export const TRACE_STATE_MAX_LENGTH = 512;
/** "tracestate Limits": entries longer than this are the first to go when truncating. */
const LONG_ENTRY = 128;

// Level 2 key: ( lcalpha / DIGIT ) 0*255( keychar ), keychar = lcalpha / DIGIT / "_" / "-"
// / "*" / "/" / "@". Unlike Level 1's tenant@system form, '@' is a plain key character.
const KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/;
// value = 0*255(chr) nblk-chr: printable ASCII minus ',' and '=', no trailing space.
const VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

export function isValidTraceStateKey(key: string): boolean {
  return KEY.test(key);
}

export function isValidTraceStateValue(value: string): boolean {
  return VALUE.test(value);
}

const NONE: readonly string[] = Object.freeze([]);

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/**
 * A validated W3C tracestate. Immutable: `set` and `unset` return new instances, and
 * a set key moves to the front ("Mutating the tracestate Field": modified keys MUST
 * move to the left).
 */
export class TraceState implements TraceStateLike {
  // Parallel arrays, newest first: at most 32 members, so a scan beats a Map.
  // Never mutated after construction (only `of` assigns them, once).
  private memberKeys: readonly string[];
  private memberValues: readonly string[];
  private debug = false;
  private cachedHeader: string | undefined;

  /** Builds a state from [key, value] pairs, newest first; invalid and repeated keys are skipped. */
  constructor(entries?: Iterable<readonly [string, string]>) {
    if (!entries) {
      this.memberKeys = NONE;
      this.memberValues = NONE;
      return;
    }
    const keys: string[] = [];
    const values: string[] = [];
    for (const [key, value] of entries) {
      if (keys.length === MAX_MEMBERS) break;
      if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) continue;
      if (keys.includes(key)) continue;
      keys.push(key);
      values.push(value);
    }
    this.memberKeys = keys;
    this.memberValues = values;
  }

  private static of(
    keys: readonly string[],
    values: readonly string[],
    b3Debug = false,
  ): TraceState {
    const state = new TraceState();
    state.memberKeys = keys;
    state.memberValues = values;
    state.debug = b3Debug;
    return state;
  }

  /**
   * The B3 debug ("force trace") decision of an incoming B3 header. It rides on the
   * tracestate because every child span inherits that; only the B3 propagator writes it
   * out again, never `serialize` (the W3C wire and OTLP).
   * @internal
   */
  get b3Debug(): boolean {
    return this.debug;
  }

  /** This state with the B3 debug decision set. @internal */
  withB3Debug(): TraceState {
    return this.debug ? this : TraceState.of(this.memberKeys, this.memberValues, true);
  }

  /**
   * Parses a (possibly comma-joined, multi-field) tracestate header. Returns undefined
   * when any member is malformed or there are more than 32 members ("list" grammar):
   * the header is then discarded whole, as the W3C test suite expects. A repeated key
   * keeps its left-most (most recent) value and later copies are dropped, which
   * "Mutating the tracestate Field" allows ("discard duplicate keys").
   */
  static parse(header: string): TraceState | undefined {
    if (typeof header !== 'string') return undefined;
    const keys: string[] = [];
    const values: string[] = [];
    const n = header.length;
    let members = 0;
    let start = 0;
    while (start <= n) {
      let end = header.indexOf(',', start);
      if (end === -1) end = n;
      let s = start;
      let e = end;
      while (s < e && isOws(header.charCodeAt(s))) s++;
      while (e > s && isOws(header.charCodeAt(e - 1))) e--;
      // Empty and whitespace-only members are allowed ("list") and not counted.
      if (s < e) {
        const eq = header.indexOf('=', s);
        if (eq === -1 || eq >= e) return undefined;
        const key = header.slice(s, eq);
        const value = header.slice(eq + 1, e);
        if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return undefined;
        // Duplicates are list-members on the wire too, so they count toward the 32.
        if (++members > MAX_MEMBERS) return undefined;
        if (!keys.includes(key)) {
          keys.push(key);
          values.push(value);
        }
      }
      start = end + 1;
    }
    return TraceState.of(keys, values);
  }

  get size(): number {
    return this.memberKeys.length;
  }

  get(key: string): string | undefined {
    const i = this.memberKeys.indexOf(key);
    return i === -1 ? undefined : this.memberValues[i];
  }

  /**
   * Adds or updates `key` at the front. Past 32 members the right-most one is dropped
   * (Level 2, "list"). An invalid key or value leaves the state unchanged.
   */
  set(key: string, value: string): TraceState {
    if (!isValidTraceStateKey(key) || !isValidTraceStateValue(value)) return this;
    if (this.memberKeys[0] === key && this.memberValues[0] === value) return this;
    const keys = [key];
    const values = [value];
    for (let i = 0; i < this.memberKeys.length && keys.length < MAX_MEMBERS; i++) {
      if (this.memberKeys[i] === key) continue;
      keys.push(this.memberKeys[i]!);
      values.push(this.memberValues[i]!);
    }
    return TraceState.of(keys, values, this.debug);
  }

  unset(key: string): TraceState {
    const i = this.memberKeys.indexOf(key);
    if (i === -1) return this;
    const keys = this.memberKeys.slice();
    const values = this.memberValues.slice();
    keys.splice(i, 1);
    values.splice(i, 1);
    return TraceState.of(keys, values, this.debug);
  }

  /** [key, value] pairs, newest first. */
  entries(): [string, string][] {
    return this.memberKeys.map((k, i) => [k, this.memberValues[i]!]);
  }

  /**
   * The header value. When it is longer than `maxLength`, whole entries are dropped
   * ("tracestate Limits"): first those over 128 characters, then from the right.
   */
  serialize(maxLength: number = TRACE_STATE_MAX_LENGTH): string {
    if (maxLength === TRACE_STATE_MAX_LENGTH && this.cachedHeader !== undefined) {
      return this.cachedHeader;
    }
    const members = this.memberKeys.map((k, i) => `${k}=${this.memberValues[i]!}`);
    let total = members.length === 0 ? 0 : members.length - 1;
    for (const m of members) total += m.length;
    if (total > maxLength) {
      for (let i = members.length - 1; i >= 0 && total > maxLength; i--) {
        if (members[i]!.length > LONG_ENTRY) total -= dropAt(members, i);
      }
      while (total > maxLength && members.length > 0) total -= dropAt(members, members.length - 1);
    }
    const out = members.join(',');
    if (maxLength === TRACE_STATE_MAX_LENGTH) this.cachedHeader = out;
    return out;
  }

  toString(): string {
    return this.serialize();
  }
}

/** Removes members[i] and returns how many characters (with its comma) that saved. */
function dropAt(members: string[], i: number): number {
  const saved = members[i]!.length + (members.length > 1 ? 1 : 0);
  members.splice(i, 1);
  return saved;
}

/** Whether a span context's tracestate carries the B3 debug decision (see TraceState.b3Debug). */
export function isB3Debug(traceState: TraceStateLike | undefined): boolean {
  return traceState instanceof TraceState && traceState.b3Debug;
}

/** Parses a tracestate header; undefined when it is invalid (see TraceState.parse). */
export function parseTraceState(header: string): TraceState | undefined {
  return TraceState.parse(header);
}
