import { describe, expect, it } from 'vitest';
import type { IncomingHttpHeaders } from 'node:http';
import {
  defaultGetter,
  defaultSetter,
  incomingHeadersGetter,
} from '../../../lib/core/propagation/carrier.js';

/** Behaves like @grpc/grpc-js Metadata: lowercase keys, get() returns an array. */
class FakeMetadata {
  private readonly map = new Map<string, (string | Buffer)[]>();

  set(key: string, value: string | Buffer): void {
    this.map.set(key.toLowerCase(), [value]);
  }

  add(key: string, value: string | Buffer): void {
    const k = key.toLowerCase();
    this.map.set(k, [...(this.map.get(k) ?? []), value]);
  }

  get(key: string): (string | Buffer)[] {
    return this.map.get(key.toLowerCase()) ?? [];
  }

  getMap(): Record<string, string | Buffer> {
    const out: Record<string, string | Buffer> = {};
    for (const [k, v] of this.map) out[k] = v[0]!;
    return out;
  }
}

describe('defaultGetter', () => {
  it('reads a plain object by its lowercase key', () => {
    expect(defaultGetter.get({ traceparent: 'x' }, 'traceparent')).toBe('x');
  });

  it('finds keys in other cases on a plain object', () => {
    expect(defaultGetter.get({ TraceParent: 'x' }, 'traceparent')).toBe('x');
    expect(defaultGetter.get({ 'X-B3-TraceId': 'y' }, 'x-b3-traceid')).toBe('y');
  });

  it('joins Node IncomingHttpHeaders arrays with commas', () => {
    const headers: IncomingHttpHeaders = { tracestate: ['a=1', 'b=2'], host: 'h' };
    expect(defaultGetter.get(headers, 'tracestate')).toBe('a=1,b=2');
  });

  it('reads a Map, falling back to a case-insensitive scan', () => {
    const map = new Map<string, unknown>([
      ['baggage', 'k=v'],
      ['TraceParent', 'x'],
      ['list', ['1', '2']],
    ]);
    expect(defaultGetter.get(map, 'baggage')).toBe('k=v');
    expect(defaultGetter.get(map, 'traceparent')).toBe('x');
    expect(defaultGetter.get(map, 'list')).toBe('1,2');
    expect(defaultGetter.get(map, 'missing')).toBeUndefined();
    expect(defaultGetter.keys(map)).toEqual(['baggage', 'TraceParent', 'list']);
  });

  it('reads a fetch Headers object', () => {
    const headers = new Headers({ TraceParent: 'x' });
    headers.append('tracestate', 'a=1');
    headers.append('tracestate', 'b=2');
    expect(defaultGetter.get(headers, 'traceparent')).toBe('x');
    expect(defaultGetter.get(headers, 'tracestate')).toBe('a=1, b=2');
    expect(defaultGetter.get(headers, 'missing')).toBeUndefined();
    expect(defaultGetter.keys(headers)).toEqual(['traceparent', 'tracestate']);
  });

  it('reads gRPC Metadata, joining repeated values and decoding Buffers', () => {
    const md = new FakeMetadata();
    md.set('traceparent', 'x');
    md.add('tracestate', 'a=1');
    md.add('tracestate', Buffer.from('b=2'));
    expect(defaultGetter.get(md, 'traceparent')).toBe('x');
    expect(defaultGetter.get(md, 'tracestate')).toBe('a=1,b=2');
    expect(defaultGetter.get(md, 'missing')).toBeUndefined();
    expect(defaultGetter.keys(md)).toEqual(['traceparent', 'tracestate']);
  });

  it('decodes Buffer and Uint8Array values such as Kafka headers', () => {
    const kafka = {
      traceparent: Buffer.from('00-abc'),
      baggage: [Buffer.from('a=1'), 'b=2'],
      raw: new TextEncoder().encode('bytes'),
    };
    expect(defaultGetter.get(kafka, 'traceparent')).toBe('00-abc');
    expect(defaultGetter.get(kafka, 'baggage')).toBe('a=1,b=2');
    expect(defaultGetter.get(kafka, 'raw')).toBe('bytes');
  });

  it('turns numbers into strings and skips null and undefined values', () => {
    const carrier = { n: 42, nul: null, undef: undefined, arr: [null, 'x', undefined], obj: {} };
    expect(defaultGetter.get(carrier, 'n')).toBe('42');
    expect(defaultGetter.get(carrier, 'nul')).toBeUndefined();
    expect(defaultGetter.get(carrier, 'undef')).toBeUndefined();
    expect(defaultGetter.get(carrier, 'arr')).toBe('x');
    expect(defaultGetter.get(carrier, 'obj')).toBeUndefined();
    expect(defaultGetter.get(carrier, 'toString')).toBeUndefined();
  });

  it('never throws on odd carriers', () => {
    const throwing = {
      get() {
        throw new Error('boom');
      },
      keys() {
        throw new Error('boom');
      },
    };
    for (const carrier of [null, undefined, 42, 'str', throwing, Object.create(null)]) {
      expect(defaultGetter.get(carrier as object, 'traceparent')).toBeUndefined();
      expect(Array.isArray(defaultGetter.keys(carrier as object))).toBe(true);
    }
  });

  it('lists the keys of a plain object', () => {
    expect(defaultGetter.keys({ a: '1', B: '2' })).toEqual(['a', 'B']);
  });
});

describe('incomingHeadersGetter: Node request headers, lowercased by Node', () => {
  it('reads a header by its name, joining repeated ones, in any case asked', () => {
    const headers: IncomingHttpHeaders = {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'set-cookie': ['a=1', 'b=2'],
    };
    expect(incomingHeadersGetter.get(headers, 'traceparent')).toBe(headers.traceparent);
    expect(incomingHeadersGetter.get(headers, 'TraceParent')).toBe(headers.traceparent);
    expect(incomingHeadersGetter.get(headers, 'set-cookie')).toBe('a=1,b=2');
    expect(incomingHeadersGetter.get(headers, 'baggage')).toBeUndefined();
    expect(incomingHeadersGetter.keys(headers)).toEqual(['traceparent', 'set-cookie']);
  });

  it('finds no header in what objects inherit, and never throws', () => {
    expect(incomingHeadersGetter.get({}, 'constructor')).toBeUndefined();
    expect(incomingHeadersGetter.get({}, 'toString')).toBeUndefined();
    const hostile = {
      get traceparent(): string {
        throw new Error('boom');
      },
    };
    expect(incomingHeadersGetter.get(hostile, 'traceparent')).toBeUndefined();
  });
});

describe('defaultSetter', () => {
  it('assigns a property on a plain object', () => {
    const carrier: Record<string, string> = {};
    defaultSetter.set(carrier, 'traceparent', 'x');
    expect(carrier).toEqual({ traceparent: 'x' });
  });

  it('calls set on a Map, a Headers and gRPC Metadata', () => {
    const map = new Map<string, string>();
    const headers = new Headers();
    const md = new FakeMetadata();
    for (const carrier of [map, headers, md]) defaultSetter.set(carrier, 'traceparent', 'x');
    expect(map.get('traceparent')).toBe('x');
    expect(headers.get('traceparent')).toBe('x');
    expect(md.get('traceparent')).toEqual(['x']);
  });

  it('uses setHeader on Node outgoing messages', () => {
    const written: [string, string][] = [];
    const outgoing = { setHeader: (k: string, v: string) => void written.push([k, v]) };
    defaultSetter.set(outgoing, 'b3', 'v');
    expect(written).toEqual([['b3', 'v']]);
  });

  it('never throws on frozen objects, rejected values or non-objects', () => {
    expect(() => defaultSetter.set(Object.freeze({}), 'k', 'v')).not.toThrow();
    expect(() => defaultSetter.set(new Headers(), 'k', 'bad\nvalue')).not.toThrow();
    expect(() => defaultSetter.set(null as unknown as object, 'k', 'v')).not.toThrow();
    expect(() => defaultSetter.set(42 as unknown as object, 'k', 'v')).not.toThrow();
  });
});
