import { describe, expect, it } from 'vitest';
import { TraceState, parseTraceState } from '../../../lib/core/trace-state.js';

const members = (from: number, to: number): string =>
  Array.from({ length: to - from + 1 }, (_, i) => {
    const n = String(from + i).padStart(2, '0');
    return `bar${n}=${n}`;
  }).join(',');

describe('parseTraceState', () => {
  it('reads the members of the specification example in order', () => {
    const ts = parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    expect(ts?.entries()).toEqual([
      ['rojo', '00f067aa0ba902b7'],
      ['congo', 't61rcWkgMzE'],
    ]);
  });

  it('accepts an empty header as an empty list', () => {
    expect(parseTraceState('')?.size).toBe(0);
  });

  it('skips empty and whitespace-only members', () => {
    const ts = parseTraceState(' ,foo=1,, \t ,bar=2,');
    expect(ts?.entries()).toEqual([
      ['foo', '1'],
      ['bar', '2'],
    ]);
  });

  it('ignores spaces and tabs around members', () => {
    for (const header of ['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3']) {
      const ts = parseTraceState(header);
      expect(ts?.get('foo')).toBe('1');
      expect(ts?.get('bar')).toBe('2');
      expect(ts?.get('baz')).toBe('3');
    }
    for (const header of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) {
      expect(parseTraceState(header)?.get('foo')).toBe('1');
    }
  });

  it('keeps leading spaces of a value as part of the value', () => {
    expect(parseTraceState('foo= bar')?.get('foo')).toBe(' bar');
  });

  it('combines several tracestate fields joined with commas, keeping their order', () => {
    const ts = parseTraceState(['foo=1,bar=2', 'rojo=1,congo=2', 'baz=3'].join(','));
    expect(ts?.serialize()).toBe('foo=1,bar=2,rojo=1,congo=2,baz=3');
  });

  it('combines an empty field with a non-empty one', () => {
    expect(parseTraceState(['foo=1', ''].join(','))?.get('foo')).toBe('1');
    expect(parseTraceState(['', 'foo=1'].join(','))?.get('foo')).toBe('1');
  });

  it('accepts every character the key and value grammars allow', () => {
    const simpleKey = 'abcdefghijklmnopqrstuvwxyz0123456789_-*/';
    const tenantKey = `${simpleKey}@a-z0-9_-*/`;
    let value = '';
    for (let c = 0x20; c <= 0x7e; c++)
      if (c !== 0x2c && c !== 0x3d) value += String.fromCharCode(c);
    expect(parseTraceState(`${simpleKey}=${value}`)?.get(simpleKey)).toBe(value);
    expect(parseTraceState(`${tenantKey}=${value}`)?.get(tenantKey)).toBe(value);
  });

  it('accepts 32 members and rejects the whole header at 33', () => {
    const ok = parseTraceState(members(1, 32));
    expect(ok?.size).toBe(32);
    expect(ok?.get('bar01')).toBe('01');
    expect(parseTraceState(members(1, 33))).toBeUndefined();
  });

  it('does not count empty members toward the 32-member limit', () => {
    expect(parseTraceState(`${members(1, 32)},,, ,`)?.size).toBe(32);
  });

  it('rejects the whole header when a key repeats, even across fields', () => {
    expect(parseTraceState('foo=1,foo=1')).toBeUndefined();
    expect(parseTraceState('foo=1,foo=2')).toBeUndefined();
    expect(parseTraceState(['foo=1', 'foo=2'].join(','))).toBeUndefined();
  });

  it('rejects keys with illegal characters', () => {
    for (const header of ['foo =1', 'FOO=1', 'foo.bar=1', '_foo=1', '=1', 'fOo=1']) {
      expect(parseTraceState(header)).toBeUndefined();
    }
  });

  it('rejects malformed multi-tenant keys and so the members around them', () => {
    for (const header of [
      'foo@=1,bar=2',
      '@foo=1,bar=2',
      'foo@@bar=1,bar=2',
      'foo@bar@baz=1,bar=2',
    ]) {
      expect(parseTraceState(header)).toBeUndefined();
    }
    expect(parseTraceState('foo@1bar=1')).toBeUndefined(); // system-id starts with a letter
  });

  it('accepts multi-tenant keys whose tenant id starts with a digit', () => {
    expect(parseTraceState('fw529a3039@dt=foo')?.get('fw529a3039@dt')).toBe('foo');
    expect(parseTraceState('9abc@dt=x')?.get('9abc@dt')).toBe('x');
  });

  it('enforces the key length limits: 256 simple, 241 tenant, 14 system', () => {
    expect(parseTraceState(`foo=1,${'z'.repeat(256)}=1`)?.get('foo')).toBe('1');
    expect(parseTraceState(`foo=1,${'z'.repeat(257)}=1`)).toBeUndefined();
    expect(parseTraceState(`foo=1,${'t'.repeat(241)}@${'v'.repeat(14)}=1`)?.get('foo')).toBe('1');
    expect(parseTraceState(`foo=1,${'t'.repeat(242)}@v=1`)).toBeUndefined();
    expect(parseTraceState(`foo=1,t@${'v'.repeat(15)}=1`)).toBeUndefined();
  });

  it('rejects illegal values', () => {
    for (const header of ['foo=bar=baz', 'foo=,bar=3', 'foo', 'foo=a\tb', 'foo=caf\u00e9']) {
      expect(parseTraceState(header)).toBeUndefined();
    }
  });

  it('enforces the 256-character value limit', () => {
    expect(parseTraceState(`foo=${'v'.repeat(256)}`)?.get('foo')).toHaveLength(256);
    expect(parseTraceState(`foo=${'v'.repeat(257)}`)).toBeUndefined();
  });
});

describe('TraceState', () => {
  it('is immutable: set returns a new state with the key moved to the front', () => {
    const original = parseTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')!;
    const updated = original.set('congo', 'ucfJifl5GOE');
    expect(updated.serialize()).toBe('congo=ucfJifl5GOE,rojo=00f067aa0ba902b7');
    expect(original.serialize()).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('adds new keys at the front', () => {
    expect(new TraceState().set('a', '1').set('b', '2').serialize()).toBe('b=2,a=1');
  });

  it('unset removes a key and leaves the original untouched', () => {
    const original = parseTraceState('a=1,b=2,c=3')!;
    expect(original.unset('b').serialize()).toBe('a=1,c=3');
    expect(original.size).toBe(3);
    expect(original.unset('missing')).toBe(original);
  });

  it('ignores a set with an invalid key or value', () => {
    const ts = new TraceState([['a', '1']]);
    expect(ts.set('Bad', '1')).toBe(ts);
    expect(ts.set('ok', 'x,y')).toBe(ts);
    expect(ts.set('ok', '')).toBe(ts);
  });

  it('drops the right-most member when a set would exceed 32 members', () => {
    const full = parseTraceState(members(1, 32))!;
    const next = full.set('new', 'x');
    expect(next.size).toBe(32);
    expect(next.entries()[0]).toEqual(['new', 'x']);
    expect(next.get('bar32')).toBeUndefined();
    expect(next.get('bar31')).toBe('31');
  });

  it('builds from entries, skipping invalid and duplicate keys', () => {
    const ts = new TraceState([
      ['a', '1'],
      ['A', '2'],
      ['a', '3'],
      ['b', '4'],
    ]);
    expect(ts.serialize()).toBe('a=1,b=4');
  });

  it('serialises without optional whitespace', () => {
    expect(parseTraceState(' a=1 , b=2 ')?.serialize()).toBe('a=1,b=2');
    expect(new TraceState().serialize()).toBe('');
  });

  it('truncates an over-long state by dropping entries over 128 characters first', () => {
    const long = 'l'.repeat(200);
    const ts = new TraceState([
      ['a', '1'],
      ['big', long],
      ['b', '2'],
    ]);
    expect(ts.serialize(100)).toBe('a=1,b=2');
    expect(ts.serialize()).toBe(`a=1,big=${long},b=2`);
  });

  it('truncates from the right once no long entries are left', () => {
    const ts = new TraceState([
      ['a', 'x'.repeat(100)],
      ['b', 'y'.repeat(100)],
      ['c', 'z'.repeat(100)],
    ]);
    expect(ts.serialize(210)).toBe(`a=${'x'.repeat(100)},b=${'y'.repeat(100)}`);
    expect(ts.serialize(5)).toBe('');
  });

  it('keeps a full 32-member state of short entries within the default 512 characters', () => {
    const full = parseTraceState(members(1, 32))!;
    expect(full.serialize()).toBe(members(1, 32));
  });

  it('drops whole entries, never cutting one, to respect the default 512-character cap', () => {
    const entries = Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v'.repeat(60)] as const);
    const out = new TraceState(entries).serialize();
    expect(out.length).toBeLessThanOrEqual(512);
    for (const member of out.split(',')) expect(member).toMatch(/^k\d=v{60}$/);
    expect(out.split(',')).toHaveLength(8);
  });
});
