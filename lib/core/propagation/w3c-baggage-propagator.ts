import { Baggage } from '../baggage.js';
import { defaultGetter, defaultSetter } from './carrier.js';
import type {
  Carrier,
  CarrierGetter,
  CarrierSetter,
  PropagationState,
  TextMapPropagator,
} from './text-map-propagator.js';
import { isHttpToken } from '../http-token.js';

export const BAGGAGE_HEADER = 'baggage';
/** W3C Baggage "Limits": platforms MUST propagate at least 64 list-members... */
export const BAGGAGE_MAX_MEMBERS = 64;
/** ...and a baggage-string of at least 8192 bytes. We propagate exactly that much. */
export const BAGGAGE_MAX_BYTES = 8192;

// key = token (RFC 7230 §3.2.6): isHttpToken.
// value = *baggage-octet: printable ASCII minus DQUOTE, ',', ';' and '\'.
const VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$/;

/** Trims OWS (space and tab) only, as the spec defines it; String#trim would take more. */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/**
 * Validates `;`-separated properties (`key` or `key=value`) and returns them with
 * their OWS removed, or undefined when one is malformed. Empty segments are skipped.
 */
function normalizeProperties(raw: string): string | undefined {
  let out = '';
  for (const part of raw.split(';')) {
    const prop = trimOws(part);
    if (prop === '') continue;
    const eq = prop.indexOf('=');
    const key = eq === -1 ? prop : trimOws(prop.slice(0, eq));
    if (!isHttpToken(key)) return undefined;
    let normalized = key;
    if (eq !== -1) {
      const value = trimOws(prop.slice(eq + 1));
      if (!VALUE.test(value)) return undefined;
      normalized = `${key}=${value}`;
    }
    out = out === '' ? normalized : `${out};${normalized}`;
  }
  return out;
}

function decodeValue(value: string): string | undefined {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Parses one list-member into `into`; returns false (and adds nothing) when it is malformed. */
function parseMember(member: string, into: Baggage): boolean {
  const semi = member.indexOf(';');
  const head = semi === -1 ? member : member.slice(0, semi);
  const eq = head.indexOf('=');
  if (eq === -1) return false;
  const key = trimOws(head.slice(0, eq));
  // The value may itself contain '=' (spec: parsers MUST NOT assume otherwise).
  const raw = trimOws(head.slice(eq + 1));
  if (!isHttpToken(key) || !VALUE.test(raw)) return false;
  const value = decodeValue(raw);
  if (value === undefined) return false;
  let metadata: string | undefined;
  if (semi !== -1) {
    metadata = normalizeProperties(member.slice(semi + 1));
    if (metadata === undefined) return false;
    if (metadata === '') metadata = undefined;
  }
  into.set(key, value, metadata);
  return true;
}

/**
 * Parses a (possibly comma-joined) baggage header into `into`. Malformed members are
 * skipped, not the whole header; members past 64 or past the first 8192 bytes are
 * ignored. Header strings are Latin-1, so one character is one byte.
 */
export function parseBaggageHeader(header: string, into: Baggage = new Baggage()): Baggage {
  if (typeof header !== 'string') return into;
  const n = Math.min(header.length, BAGGAGE_MAX_BYTES);
  let accepted = 0;
  let start = 0;
  while (start < n && accepted < BAGGAGE_MAX_MEMBERS) {
    let end = header.indexOf(',', start);
    if (end === -1) end = header.length;
    if (end > BAGGAGE_MAX_BYTES) break;
    const member = trimOws(header.slice(start, end));
    if (member !== '' && parseMember(member, into)) accepted++;
    start = end + 1;
  }
  return into;
}

function encodeValue(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined; // lone surrogate: cannot be UTF-8 encoded
  }
}

/**
 * The baggage header value: percent-encoded values, at most 64 members and 8192
 * bytes. Entries that do not fit (or whose key is not a token) are dropped.
 */
export function serializeBaggage(baggage: Baggage): string {
  let out = '';
  let count = 0;
  for (const [key, entry] of baggage.all()) {
    if (count === BAGGAGE_MAX_MEMBERS) break;
    if (!isHttpToken(key)) continue;
    const value = encodeValue(entry.value);
    if (value === undefined) continue;
    let member = `${key}=${value}`;
    const metadata = entry.metadata === undefined ? undefined : normalizeProperties(entry.metadata);
    if (metadata) member += `;${metadata}`;
    const length = out === '' ? member.length : out.length + 1 + member.length;
    if (length > BAGGAGE_MAX_BYTES) continue;
    out = out === '' ? member : `${out},${member}`;
    count++;
  }
  return out;
}

/** W3C Baggage: the `baggage` header. */
export class W3CBaggagePropagator implements TextMapPropagator {
  readonly fields: readonly string[] = [BAGGAGE_HEADER];

  inject(state: PropagationState, carrier: Carrier, setter: CarrierSetter = defaultSetter): void {
    const baggage = state.baggage;
    if (!baggage || baggage.size === 0) return;
    try {
      const header = serializeBaggage(baggage);
      if (header !== '') setter.set(carrier, BAGGAGE_HEADER, header);
    } catch {
      // A custom setter failed: tracing never breaks the app.
    }
  }

  extract(
    state: PropagationState,
    carrier: Carrier,
    getter: CarrierGetter = defaultGetter,
  ): PropagationState {
    try {
      const header = getter.get(carrier, BAGGAGE_HEADER);
      if (header === undefined || header === '') return state;
      if (state.baggage) {
        parseBaggageHeader(header, state.baggage);
      } else {
        // Only create request baggage when at least one member was valid.
        const parsed = parseBaggageHeader(header);
        if (parsed.size > 0) state.baggage = parsed;
      }
    } catch {
      // A custom getter failed: treat as no baggage.
    }
    return state;
  }
}
