import type { Carrier, CarrierGetter, CarrierSetter } from './text-map-propagator.js';

/** Anything with a `get(name)`: Map, fetch Headers, gRPC Metadata. */
interface GetLike {
  get(name: string): unknown;
}

const decoder = new TextDecoder();

/**
 * One header value as a string. Arrays (Node duplicate headers, gRPC Metadata, Kafka)
 * are joined with ','; Buffers (Kafka, gRPC binary) are decoded as UTF-8.
 */
function toHeaderString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) {
    let out: string | undefined;
    for (const item of value) {
      const s = Array.isArray(item) ? undefined : toHeaderString(item);
      if (s !== undefined) out = out === undefined ? s : `${out},${s}`;
    }
    return out;
  }
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Uint8Array) return decoder.decode(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return undefined;
}

function hasFunction(carrier: object, name: string): boolean {
  return typeof (carrier as Record<string, unknown>)[name] === 'function';
}

function sameName(a: string, b: string): boolean {
  return a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

function getFrom(carrier: Carrier, key: string): string | undefined {
  if (carrier === null || typeof carrier !== 'object') return undefined;
  if (hasFunction(carrier, 'get')) {
    const direct = toHeaderString((carrier as GetLike).get(key));
    if (direct !== undefined || !(carrier instanceof Map)) return direct;
    // A Map is case-sensitive, unlike Headers and Metadata: fall back to a scan.
    for (const [k, v] of carrier) {
      if (typeof k === 'string' && sameName(k, key)) return toHeaderString(v);
    }
    return undefined;
  }
  const record = carrier as Record<string, unknown>;
  // Node lowercases incoming header names, so the exact lookup almost always hits.
  if (Object.hasOwn(record, key)) {
    const direct = toHeaderString(record[key]);
    if (direct !== undefined) return direct;
  }
  for (const k of Object.keys(record)) {
    if (k !== key && sameName(k, key)) return toHeaderString(record[k]);
  }
  return undefined;
}

function keysOf(carrier: Carrier): string[] {
  if (carrier === null || typeof carrier !== 'object') return [];
  if (hasFunction(carrier, 'getMap')) {
    // gRPC Metadata: getMap() is a plain object of its (lowercase) keys.
    const map = (carrier as { getMap(): unknown }).getMap();
    return map !== null && typeof map === 'object' ? Object.keys(map) : [];
  }
  if (hasFunction(carrier, 'get') && hasFunction(carrier, 'keys')) {
    const out: string[] = [];
    for (const k of (carrier as { keys(): Iterable<unknown> }).keys()) {
      if (typeof k === 'string') out.push(k);
    }
    return out;
  }
  return Object.keys(carrier);
}

/** Reads plain objects, IncomingHttpHeaders, Map, Headers, gRPC Metadata and Kafka headers. Never throws. */
export const defaultGetter: CarrierGetter = {
  get(carrier, key) {
    try {
      return getFrom(carrier, key);
    } catch {
      return undefined;
    }
  },
  keys(carrier) {
    try {
      return keysOf(carrier);
    } catch {
      return [];
    }
  },
};

/**
 * For Node's incoming headers (`IncomingMessage.headers`), whose names Node lowercases: the
 * value under `key`, or under its lowercase form. Unlike `defaultGetter`, a header that is
 * absent costs one lookup, not a scan of every header for another spelling of its name:
 * most requests carry no `tracestate` or `baggage` (and many no `traceparent`), and the
 * scans were three `Object.keys` arrays a request.
 */
export const incomingHeadersGetter: CarrierGetter = {
  get(carrier, key) {
    const headers = carrier as Record<string, unknown>;
    try {
      const value = headers[key];
      if (value !== undefined) return toHeaderString(value);
      const lower = key.toLowerCase();
      return lower === key ? undefined : toHeaderString(headers[lower]);
    } catch {
      return undefined;
    }
  },
  keys(carrier) {
    return Object.keys(carrier);
  },
};

/**
 * Writes with `set(k, v)` when the carrier has one (Map, Headers, gRPC Metadata,
 * Express response), `setHeader` on Node outgoing messages, else assigns the property.
 * Never throws: a rejected value (frozen object, invalid header) is simply not written.
 */
export const defaultSetter: CarrierSetter = {
  set(carrier, key, value) {
    if (carrier === null || typeof carrier !== 'object') return;
    try {
      if (hasFunction(carrier, 'set')) {
        (carrier as { set(k: string, v: string): unknown }).set(key, value);
      } else if (hasFunction(carrier, 'setHeader')) {
        (carrier as { setHeader(k: string, v: string): unknown }).setHeader(key, value);
      } else {
        (carrier as Record<string, unknown>)[key] = value;
      }
    } catch {
      // Tracing never breaks the app.
    }
  },
};
