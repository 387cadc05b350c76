import { describe, expect, it } from 'vitest';
import { Baggage } from '../../../lib/core/baggage.js';
import {
  W3CBaggagePropagator,
  parseBaggageHeader,
  serializeBaggage,
} from '../../../lib/core/propagation/w3c-baggage-propagator.js';

describe('parseBaggageHeader', () => {
  it('reads a single key=value member', () => {
    expect(parseBaggageHeader('SomeKey=SomeValue').toObject()).toEqual({ SomeKey: 'SomeValue' });
  });

  it('reads several members', () => {
    expect(parseBaggageHeader('SomeKey=SomeValue,SomeKey2=SomeValue2').toObject()).toEqual({
      SomeKey: 'SomeValue',
      SomeKey2: 'SomeValue2',
    });
  });

  it('trims spaces and tabs around keys, values and members', () => {
    const b = parseBaggageHeader(
      'SomeKey \t = \t SomeValue \t , \t SomeKey2 \t = \t SomeValue2 \t ',
    );
    expect(b.toObject()).toEqual({ SomeKey: 'SomeValue', SomeKey2: 'SomeValue2' });
  });

  it('keeps properties as metadata, without their optional whitespace', () => {
    const b = parseBaggageHeader(
      'SomeKey \t = \t SomeValue \t ; \t SomeProp \t , SomeKey2=SomeValue2 ; k = v ;flag',
    );
    expect(b.getEntry('SomeKey')).toEqual({ value: 'SomeValue', metadata: 'SomeProp' });
    expect(b.getEntry('SomeKey2')).toEqual({ value: 'SomeValue2', metadata: 'k=v;flag' });
  });

  it('keeps equals signs inside a value', () => {
    expect(parseBaggageHeader('SomeKey=SomeValue=equals').get('SomeKey')).toBe('SomeValue=equals');
  });

  it('percent-decodes values as UTF-8', () => {
    const encoded = '%09%20%22%27%3B%3Dasdf%21%40%23%24%25%5E%26%2A%28%29';
    expect(parseBaggageHeader(`SomeKey \t = \t ${encoded} \t `).get('SomeKey')).toBe(
      '\t "\';=asdf!@#$%^&*()',
    );
    expect(parseBaggageHeader('serverNode=DF%2028,city=M%C3%BCnchen').toObject()).toEqual({
      serverNode: 'DF 28',
      city: 'München',
    });
  });

  it('does not turn + into a space', () => {
    expect(parseBaggageHeader('a=1+1').get('a')).toBe('1+1');
  });

  it('skips malformed members and keeps the valid ones', () => {
    const b = parseBaggageHeader(
      'good=1,no-equals,bad key=2,q="x",bad=%ZZ,=v,ok=2,semi=a;bad prop=1,tab=a\tb,last=3',
    );
    expect(b.toObject()).toEqual({ good: '1', ok: '2', last: '3' });
  });

  it('accepts an empty value', () => {
    expect(parseBaggageHeader('empty=').getEntry('empty')).toEqual({ value: '' });
  });

  it('combines multiple baggage headers joined with commas', () => {
    expect(
      parseBaggageHeader(
        ['userId=alice', 'serverNode=DF%2028,isProduction=false'].join(','),
      ).toObject(),
    ).toEqual({ userId: 'alice', serverNode: 'DF 28', isProduction: 'false' });
  });

  it('ignores members beyond the 64th', () => {
    const header = Array.from({ length: 70 }, (_, i) => `k${i}=v`).join(',');
    const b = parseBaggageHeader(header);
    expect(b.size).toBe(64);
    expect(b.get('k63')).toBe('v');
    expect(b.get('k64')).toBeUndefined();
  });

  it('counts only valid members toward the 64-member limit', () => {
    const header = `bad key=1,${Array.from({ length: 64 }, (_, i) => `k${i}=v`).join(',')}`;
    expect(parseBaggageHeader(header).size).toBe(64);
  });

  it('ignores members that end beyond the first 8192 bytes', () => {
    const big = 'x'.repeat(4000);
    const b = parseBaggageHeader(`a=${big},b=${big},c=${big}`);
    expect(b.get('a')).toBe(big);
    expect(b.get('b')).toBe(big);
    expect(b.get('c')).toBeUndefined();
  });

  it('merges into an existing Baggage', () => {
    const existing = new Baggage().set('keep', '1').set('over', 'old');
    parseBaggageHeader('over=new,add=2', existing);
    expect(existing.toObject()).toEqual({ keep: '1', over: 'new', add: '2' });
  });
});

describe('serializeBaggage', () => {
  it('percent-encodes values that are not baggage octets', () => {
    const b = new Baggage()
      .set('userId', 'alice')
      .set('serverNode', 'DF 28')
      .set('s', 'a,b;c"d\\e%');
    expect(serializeBaggage(b)).toBe('userId=alice,serverNode=DF%2028,s=a%2Cb%3Bc%22d%5Ce%25');
  });

  it('appends metadata after the value', () => {
    expect(serializeBaggage(new Baggage().set('k', 'v', 'p1;p2=x'))).toBe('k=v;p1;p2=x');
  });

  it('drops malformed metadata but keeps the entry', () => {
    expect(serializeBaggage(new Baggage().set('k', 'v', 'bad prop,x'))).toBe('k=v');
  });

  it('skips entries whose key is not a token', () => {
    expect(serializeBaggage(new Baggage().set('bad key', 'v').set('ok', '1'))).toBe('ok=1');
  });

  it('writes at most 64 members', () => {
    const b = new Baggage(
      Array.from({ length: 100 }, (_, i) => [`k${i}`, { value: 'v' }] as const),
    );
    const out = serializeBaggage(b);
    expect(out.split(',')).toHaveLength(64);
    expect(out.endsWith('k63=v')).toBe(true);
  });

  it('stays within 8192 bytes, dropping entries that do not fit', () => {
    const b = new Baggage().set('a', 'x'.repeat(5000)).set('b', 'y'.repeat(5000)).set('c', 'small');
    const out = serializeBaggage(b);
    expect(out.length).toBeLessThanOrEqual(8192);
    expect(parseBaggageHeader(out).toObject()).toEqual({ a: 'x'.repeat(5000), c: 'small' });
  });

  it('measures the limit after encoding', () => {
    const b = new Baggage().set('a', ' '.repeat(3000)).set('b', 'ok');
    // 3000 spaces become 9000 encoded bytes: too big to send.
    expect(serializeBaggage(b)).toBe('b=ok');
  });

  it('skips values that cannot be encoded as UTF-8', () => {
    expect(serializeBaggage(new Baggage().set('a', '\ud800').set('b', '1'))).toBe('b=1');
  });
});

describe('W3CBaggagePropagator', () => {
  it('lists baggage as its only field', () => {
    expect(new W3CBaggagePropagator().fields).toEqual(['baggage']);
  });

  it('creates state.baggage on extract when absent', () => {
    const state = new W3CBaggagePropagator().extract({}, { baggage: 'userId=alice' });
    expect(state.baggage?.get('userId')).toBe('alice');
  });

  it('merges into existing state.baggage on extract', () => {
    const baggage = new Baggage().set('mine', '1');
    const state = new W3CBaggagePropagator().extract({ baggage }, { baggage: 'theirs=2' });
    expect(state.baggage).toBe(baggage);
    expect(baggage.toObject()).toEqual({ mine: '1', theirs: '2' });
  });

  it('leaves state untouched when the header is absent or has no valid member', () => {
    const propagator = new W3CBaggagePropagator();
    expect(propagator.extract({}, {})).toEqual({});
    expect(propagator.extract({}, { baggage: 'no equals here' })).toEqual({});
  });

  it('reads repeated baggage headers', () => {
    const state = new W3CBaggagePropagator().extract(
      {},
      { baggage: ['userId=alice', 'serverNode=DF%2028'] },
    );
    expect(state.baggage?.toObject()).toEqual({ userId: 'alice', serverNode: 'DF 28' });
  });

  it('does not inject empty or absent baggage', () => {
    const carrier: Record<string, string> = {};
    const propagator = new W3CBaggagePropagator();
    propagator.inject({}, carrier);
    propagator.inject({ baggage: new Baggage() }, carrier);
    propagator.inject({ baggage: new Baggage().set('bad key', 'v') }, carrier);
    expect(carrier).toEqual({});
  });

  it('round-trips values through percent-encoding', () => {
    const values = {
      plain: 'alice',
      spaces: '  two  spaces ',
      unicode: 'Zürich 東京 🚀',
      reserved: '\t "\';=asdf!@#$%^&*(),\\',
      percent: '100%25',
    };
    const baggage = new Baggage();
    for (const [k, v] of Object.entries(values)) baggage.set(k, v);
    baggage.set('withMeta', 'v', 'prop;k=v');

    const propagator = new W3CBaggagePropagator();
    const carrier = new Map<string, string>();
    propagator.inject({ baggage }, carrier);
    const back = propagator.extract({}, carrier).baggage!;
    expect(back.toObject()).toEqual({ ...values, withMeta: 'v' });
    expect(back.getEntry('withMeta')?.metadata).toBe('prop;k=v');
  });
});
