import { describe, expect, it } from 'vitest';
import { Redactor, scrubSecrets } from '../../../../lib/core/redaction/redaction.js';
import { cutUtf8 } from '../../../../lib/core/redaction/redaction-text.js';
import { REDACTED } from '../../../../lib/core/redaction/redaction-marks.js';

describe('Redactor headers', () => {
  const redactor = new Redactor({ headers: ['X-Tenant-Secret-Id', 'x-internal'] });

  it('redacts the default secret headers whatever their letter case', () => {
    const out = redactor.headers({
      Authorization: 'Bearer abc',
      COOKIE: 'a=b',
      'Set-Cookie': ['s=1', 's=2'],
      'Proxy-Authorization': 'Basic xyz',
      'X-API-Key': 'k',
      Accept: 'application/json',
    });
    expect(out).toEqual({
      authorization: REDACTED,
      cookie: REDACTED,
      'set-cookie': REDACTED,
      'proxy-authorization': REDACTED,
      'x-api-key': REDACTED,
      accept: 'application/json',
    });
  });

  it('redacts configured names and names that look secret', () => {
    const out = redactor.headers({
      'x-internal': 'v1',
      'X-Auth-Token': 'v2',
      'x-client-secret': 'v3',
      'x-request-id': 'keep',
    });
    expect(out).toEqual({
      'x-internal': REDACTED,
      'x-auth-token': REDACTED,
      'x-client-secret': REDACTED,
      'x-request-id': 'keep',
    });
  });

  it('redacts the short spellings the @Traced() arguments redact too (pwd, jwt, session id)', () => {
    const out = redactor.headers({
      'X-Session-Id': 'v1',
      'x-jwt': 'v2',
      'x-otp': 'v3',
      'x-pin': 'v4',
    });
    expect(Object.values(out)).toEqual([REDACTED, REDACTED, REDACTED, REDACTED]);
    expect(redactor.query('?pwd=a&sid=b&page=2')).toBe(`?pwd=REDACTED&sid=REDACTED&page=2`);
    const body = redactor.body(
      { user: 'ada', pwd: 'hunter2', card_no: '4111' },
      'application/json',
      1000,
    );
    expect(body?.json).toEqual({ user: 'ada', pwd: REDACTED, card_no: REDACTED });
  });

  it('collects the removed values, and their parts, for scrubbing', () => {
    const secrets: string[] = [];
    redactor.headers(new Map([['authorization', 'Bearer token-value-1']]), secrets);
    expect(secrets).toEqual(['Bearer token-value-1', 'Bearer', 'token-value-1']);
  });

  it('reads Map-like header collections and joins repeated values', () => {
    expect(
      redactor.headers(
        new Map<string, unknown>([
          ['Vary', ['a', 'b']],
          ['X-N', 3],
        ]),
      ),
    ).toEqual({
      vary: 'a, b',
      'x-n': '3',
    });
  });

  it('keeps a header named __proto__ as an own property, never as the prototype', () => {
    const parsed = redactor.headers(JSON.parse('{"__proto__":"y"}'));
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
  });
});

describe('Redactor URLs', () => {
  const redactor = new Redactor({ queryParams: ['session'] });

  it('redacts the OpenTelemetry default query keys, configured keys and secret-looking keys', () => {
    const url = redactor.url(
      'https://api.example.com/v1/x?sig=abcd1&Signature=defg2&session=sess1&access_token=tok12&page=2&q=a+b',
    );
    expect(url.full).toBe(
      'https://api.example.com/v1/x?sig=REDACTED&Signature=REDACTED&session=REDACTED&access_token=REDACTED&page=2&q=a+b',
    );
    expect(url.secrets).toEqual(['abcd1', 'defg2', 'sess1', 'tok12']);
  });

  it('replaces credentials with REDACTED:REDACTED and drops the fragment', () => {
    const url = redactor.url('http://alice:pa55word@127.0.0.1:8080/p#frag');
    expect(url.full).toBe('http://REDACTED:REDACTED@127.0.0.1:8080/p');
    expect(url.secrets).toEqual(['alice', 'pa55word']);
  });

  it('gives server.address and server.port, with the scheme default port', () => {
    expect(redactor.url('https://example.com/x')).toMatchObject({
      scheme: 'https',
      address: 'example.com',
      port: 443,
    });
    expect(redactor.url('http://[::1]:3000/')).toMatchObject({ address: '::1', port: 3000 });
  });

  it('redacts the query of a relative URL it cannot parse', () => {
    expect(redactor.url('/p?token=x&a=1').full).toBe('/p?token=REDACTED&a=1');
  });
});

describe('Redactor bodies', () => {
  const redactor = new Redactor({ bodyKeys: ['pin'] });

  it('pretty-prints JSON with secret keys redacted at any depth', () => {
    const body = redactor.body(
      JSON.stringify({
        user: 'a',
        password: 'p',
        nested: [{ apiKey: 'k', PIN: '1234', ok: true }],
      }),
      'application/json',
      4096,
    );
    expect(body!.text).toBe(
      JSON.stringify(
        { user: 'a', password: REDACTED, nested: [{ apiKey: REDACTED, PIN: REDACTED, ok: true }] },
        null,
        2,
      ),
    );
    expect(body!.truncated).toBe(false);
    expect(body!.json).toEqual({
      user: 'a',
      password: REDACTED,
      nested: [{ apiKey: REDACTED, PIN: REDACTED, ok: true }],
    });
  });

  it('redacts secrets inside JSON carried in a string value', () => {
    const body = redactor.body(
      { event: JSON.stringify({ token: 'in-string' }), query: 'a=1&password=x' },
      undefined,
      4096,
    );
    expect(body!.text).not.toContain('in-string');
    expect(body!.json).toEqual({
      event: `{"token":"${REDACTED}"}`,
      query: `a=1&password=${REDACTED}`,
    });
  });

  it('redacts form bodies by key', () => {
    const body = redactor.body(
      'user=a&password=p&pin=1',
      'application/x-www-form-urlencoded',
      4096,
    );
    expect(body!.text).toBe(`user=a&password=${REDACTED}&pin=${REDACTED}`);
    expect(redactor.body(new URLSearchParams({ token: 't', a: 'b' }), undefined, 4096)!.text).toBe(
      `token=${REDACTED}&a=b`,
    );
  });

  it('cuts at the byte cap without splitting a character and says so', () => {
    const body = redactor.body('é'.repeat(100), 'text/plain', 11);
    expect(body).toEqual({ text: 'é'.repeat(5), bytes: 200, truncated: true });
  });

  it('redacts a JSON body too long to parse by scanning the part it keeps, including nested values', () => {
    const big = JSON.stringify({
      token: { value: 'nested-secret' },
      list: Array.from({ length: 40_000 }, (_, i) => ({ i, password: `p-${i}` })),
    });
    const body = redactor.body(Buffer.from(big), 'application/json', 300);
    expect(body!.truncated).toBe(true);
    expect(body!.bytes).toBe(big.length);
    expect(body!.text).not.toContain('nested-secret');
    expect(body!.text).not.toMatch(/p-\d/);
    expect(
      body!.text.startsWith(`{"token":"${REDACTED}","list":[{"i":0,"password":"${REDACTED}"}`),
    ).toBe(true);
  });

  it('redacts a secret value cut short at the end of the kept text', () => {
    expect(redactor.redactText('{"a":1,"password":"abcd')).toBe(`{"a":1,"password":"${REDACTED}"`);
    expect(redactor.redactText('{"e":"{\\"token\\":\\"abc\\",\\"x\\":1}"}')).toBe(
      `{"e":"{\\"token\\":\\"${REDACTED}\\",\\"x\\":1}"}`,
    );
  });

  it('describes binary and streamed bodies instead of recording them', () => {
    expect(redactor.body(Buffer.from([1, 2, 3]), 'image/png', 100)).toEqual({
      text: '[binary, 3 bytes]',
      bytes: 3,
      truncated: false,
    });
    expect(redactor.body({ pipe: () => undefined }, undefined, 100)!.text).toBe('[stream]');
    expect(redactor.body(undefined, undefined, 100)).toBeUndefined();
    expect(redactor.body('', 'text/plain', 100)).toBeUndefined();
  });

  it('survives cycles and deep nesting', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(redactor.body(cyclic, undefined, 1000)!.json).toEqual({ a: 1, self: '[Circular]' });
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(redactor.body(deep, undefined, 100_000)!.text).toContain('[Truncated]');
  });
});

describe('helpers', () => {
  it('scrubSecrets replaces every occurrence of values of 4 characters or more', () => {
    expect(scrubSecrets('GET /x?t=abcd failed: abcd; id 12', ['abcd', '12'])).toBe(
      `GET /x?t=${REDACTED} failed: ${REDACTED}; id 12`,
    );
  });

  it('cutUtf8 leaves text within the cap untouched', () => {
    expect(cutUtf8('abc', 3)).toEqual({ text: 'abc', truncated: false });
    expect(cutUtf8('€€', 5)).toEqual({ text: '€', truncated: true });
  });
});
