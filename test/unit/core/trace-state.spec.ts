import { describe, expect, it } from 'vitest';
import {
  TraceState,
  isValidTraceStateKey,
  parseTraceState,
} from '../../../lib/core/trace-state.js';

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

  it('counts a duplicated member toward the 32-member limit', () => {
    expect(parseTraceState(`${members(1, 31)},bar01=x`)?.size).toBe(31);
    expect(parseTraceState(`${members(1, 32)},bar01=x`)).toBeUndefined();
  });
});

// W3C Trace Context Level 2, "Key": key = ( lcalpha / DIGIT ) 0*255( keychar ),
// keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@".
const KEYS: [rule: string, key: string, valid: boolean][] = [
  ['starts with a lowercase letter', 'foo', true],
  ['starts with a digit', '1foo', true],
  ['is a single letter', 'a', true],
  ['is a single digit', '7', true],
  ['contains an underscore', 'a_b', true],
  ['contains a dash', 'a-b', true],
  ['contains an asterisk', 'a*b', true],
  ['contains a slash', 'a/b', true],
  ['contains an at sign', 'a@b', true],
  ['ends with an at sign', 'foo@', true],
  ['has two at signs in a row', 'foo@@bar', true],
  ['has two at signs apart', 'foo@bar@baz', true],
  ['has a digit after the at sign', 'foo@1bar', true],
  ['has a long part after the at sign', `t@${'v'.repeat(15)}`, true],
  ['has a long part before the at sign', `${'t'.repeat(242)}@v`, true],
  ['is a tenant key starting with a digit', 'fw529a3039@dt', true],
  ['is 256 characters long', 'z'.repeat(256), true],
  ['is 256 characters long with at signs', `${'t'.repeat(241)}@${'v'.repeat(14)}`, true],
  ['is 257 characters long', 'z'.repeat(257), false],
  ['is empty', '', false],
  ['starts with an at sign', '@foo', false],
  ['starts with an underscore', '_foo', false],
  ['starts with a dash', '-foo', false],
  ['starts with an asterisk', '*foo', false],
  ['starts with a slash', '/foo', false],
  ['starts with an uppercase letter', 'Foo', false],
  ['contains an uppercase letter', 'fOo', false],
  ['is all uppercase', 'FOO', false],
  ['contains a dot', 'foo.bar', false],
  ['contains a colon', 'foo:bar', false],
  ['contains a plus', 'foo+bar', false],
  ['contains a space before "="', 'foo ', false],
  ['contains a space inside', 'foo bar', false],
  ['contains a tab inside', 'foo\tbar', false],
  ['contains a non-ASCII letter', 'caf\u00e9', false],
];

const KEY_CASES = KEYS.map(([rule, key, valid]) => ({ rule, key, valid }));

describe('tracestate key grammar (Level 2)', () => {
  it.each(KEY_CASES)('a key that $rule: valid $valid', ({ key, valid }) => {
    expect(isValidTraceStateKey(key)).toBe(valid);
    // An invalid member discards the whole header, the members around it too.
    expect(parseTraceState(`foo0=0,${key}=1,bar=2`)?.entries()).toEqual(
      valid
        ? [
            ['foo0', '0'],
            [key, '1'],
            ['bar', '2'],
          ]
        : undefined,
    );
  });

  it.each(KEY_CASES)('TraceState.set with a key that $rule: kept $valid', ({ key, valid }) => {
    const before = new TraceState([['x', '1']]);
    expect(before.set(key, 'v').get(key)).toBe(valid ? 'v' : undefined);
  });
});

let allValueChars = '';
for (let c = 0x20; c <= 0x7e; c++) {
  if (c !== 0x2c && c !== 0x3d) allValueChars += String.fromCharCode(c);
}

// "Value": value = 0*255(chr) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E; chr = %x20 / nblk-chr.
// [rule, text after "foo=", value read back (undefined: header discarded)]
const VALUES: [rule: string, raw: string, value: string | undefined][] = [
  ['is one character', 'x', 'x'],
  ['uses every allowed character', allValueChars, allValueChars],
  ['is 256 characters long', 'v'.repeat(256), 'v'.repeat(256)],
  ['has inner spaces', 'a b', 'a b'],
  ['has leading spaces, which are part of the value', '  bar', '  bar'],
  ['has trailing spaces and tabs, which are optional whitespace', 'bar \t', 'bar'],
  ['is 257 characters long', 'v'.repeat(257), undefined],
  ['is empty', '', undefined],
  ['is only spaces', '   ', undefined],
  ['contains "="', 'bar=baz', undefined],
  ['contains a tab inside', 'a\tb', undefined],
  ['contains a control character', 'a\u001fb', undefined],
  ['contains DEL', 'a\u007fb', undefined],
  ['contains a non-ASCII character', 'caf\u00e9', undefined],
];

describe('tracestate value grammar', () => {
  it.each(VALUES)('a value that %s', (_rule, raw, value) => {
    expect(parseTraceState(`foo=${raw},bar=2`)?.entries()).toEqual(
      value === undefined
        ? undefined
        : [
            ['foo', value],
            ['bar', '2'],
          ],
    );
  });

  it('rejects a member without "="', () => {
    expect(parseTraceState('foo,bar=2')).toBeUndefined();
  });
});

// Level 2 test suite, test_tracestate_duplicated_keys: a repeated key is "either kept as-is
// or one of them discarded". We keep the left-most (most recent) one.
// [header or header fields, what is carried on]
const DUPLICATES: [header: string | string[], carried: string][] = [
  ['foo=1,foo=1', 'foo=1'],
  ['foo=1,foo=2', 'foo=1'],
  [['foo=1', 'foo=1'], 'foo=1'],
  [['foo=1', 'foo=2'], 'foo=1'],
  ['foo=1,bar=2,foo=3', 'foo=1,bar=2'],
  [['rojo=1,foo=1', 'congo=2,foo=2,rojo=3'], 'rojo=1,foo=1,congo=2'],
  ['foo@=1 , foo@=2', 'foo@=1'],
];

describe('tracestate with duplicated keys', () => {
  it.each(DUPLICATES)('%j is carried on as %j', (header, carried) => {
    const joined = Array.isArray(header) ? header.join(',') : header;
    expect(parseTraceState(joined)?.serialize()).toBe(carried);
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

  it('keeps the B3 debug mark through set and unset, and never serializes it', () => {
    const marked = parseTraceState('a=1,b=2')!.withB3Debug();
    expect(marked.b3Debug).toBe(true);
    expect(marked.serialize()).toBe('a=1,b=2');
    expect(marked.set('c', '3').b3Debug).toBe(true);
    expect(marked.unset('a').b3Debug).toBe(true);
    expect(marked.withB3Debug()).toBe(marked);
    expect(parseTraceState('a=1')!.b3Debug).toBe(false);
    expect(new TraceState().withB3Debug().serialize()).toBe('');
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
