import { describe, expect, it } from 'vitest';
import { resolveDevtoolsOptions } from '../../../lib/devtools/devtools-options.js';
import type { DevtoolsOptions } from '../../../lib/devtools/interfaces/devtools-options.interface.js';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { TracingConfigError } from '../../../lib/tracing.errors.js';

const DEV = { NODE_ENV: 'development' };

describe('resolveDevtoolsOptions', () => {
  it('is off unless asked for', () => {
    expect(resolveDevtoolsOptions(undefined, DEV)).toBeUndefined();
    expect(resolveDevtoolsOptions(false, DEV)).toBeUndefined();
  });

  it('fills in the defaults for true or an empty object', () => {
    const defaults = {
      path: '/_tracing',
      maxTraces: 100,
      maxSpansPerTrace: 1000,
      allowedHosts: [],
      acceptSpans: { from: undefined, token: undefined },
    };
    expect(resolveDevtoolsOptions(true, DEV)).toEqual(defaults);
    expect(resolveDevtoolsOptions({}, {})).toEqual(defaults);
  });

  it('takes a path with or without a trailing slash', () => {
    expect(resolveDevtoolsOptions({ path: '/debug/traces/' }, DEV)?.path).toBe('/debug/traces');
    expect(resolveDevtoolsOptions({ path: '/x' }, DEV)?.path).toBe('/x');
  });

  it.each([
    ['relative', 'traces'],
    ['the root', '/'],
    ['with a query', '/t?x=1'],
    ['with markup', '/"><script>'],
    ['with a dot segment', '/a/../b'],
    ['with an empty segment', '/a//b'],
    ['not a string', 42],
  ])('refuses a path %s, naming devtools.path', (_case, path) => {
    expect(() => resolveDevtoolsOptions({ path } as DevtoolsOptions, DEV)).toThrow(
      /option "devtools\.path" must be an absolute path/,
    );
  });

  it.each([
    ['maxTraces', 0],
    ['maxTraces', 1.5],
    ['maxSpansPerTrace', -1],
    ['maxSpansPerTrace', '10'],
  ])('refuses %s = %j, naming it', (key, value) => {
    expect(() => resolveDevtoolsOptions({ [key]: value } as DevtoolsOptions, DEV)).toThrow(
      `option "devtools.${key}" must be a positive integer`,
    );
  });

  it('refuses unknown keys and values that are not options', () => {
    expect(() => resolveDevtoolsOptions({ pth: '/x' } as DevtoolsOptions, DEV)).toThrow(
      'unknown option "devtools.pth"',
    );
    expect(() => resolveDevtoolsOptions({ maxTrace: 5 } as DevtoolsOptions, DEV)).toThrow(
      'TracingModule: unknown option "devtools.maxTrace"; known options are path, maxTraces, maxSpansPerTrace, allowedHosts, acceptSpans, force (did you mean "maxTraces"?).',
    );
    expect(() => resolveDevtoolsOptions('yes' as unknown as DevtoolsOptions, DEV)).toThrow(
      'option "devtools" must be true, false or an object of devtools options',
    );
    expect(() =>
      resolveDevtoolsOptions({ force: 'yes' } as unknown as DevtoolsOptions, DEV),
    ).toThrow('option "devtools.force" must be a boolean');
  });

  it('reads allowedHosts and acceptSpans, and refuses malformed ones by name', () => {
    const resolved = resolveDevtoolsOptions(
      {
        allowedHosts: ['Traces.Internal:3000', 'viewer.test'],
        acceptSpans: { from: ['loopback', '::ffff:10.0.0.7'], token: 'x'.repeat(16) },
      },
      DEV,
    );
    expect(resolved?.allowedHosts).toEqual([
      { host: 'traces.internal', port: '3000' },
      { host: 'viewer.test', port: undefined },
    ]);
    expect(resolved?.acceptSpans).toEqual({
      from: new Set(['loopback', '10.0.0.7']),
      token: 'x'.repeat(16),
    });
    expect(resolveDevtoolsOptions({ acceptSpans: false }, DEV)?.acceptSpans).toBe(false);
    const refused: [unknown, string][] = [
      [{ allowedHosts: 'localhost' }, 'option "devtools.allowedHosts" must be an array'],
      [{ allowedHosts: ['http://x/'] }, 'option "devtools.allowedHosts[0]" must be'],
      [{ acceptSpans: 'yes' }, 'option "devtools.acceptSpans" must be a boolean or an object'],
      [{ acceptSpans: { form: [] } }, 'unknown option "devtools.acceptSpans.form"'],
      [{ acceptSpans: { from: ['gateway'] } }, 'option "devtools.acceptSpans.from[0]" must be'],
      [{ acceptSpans: { token: 'short' } }, 'option "devtools.acceptSpans.token" must be a string'],
    ];
    for (const [option, message] of refused) {
      expect(() => resolveDevtoolsOptions(option as DevtoolsOptions, DEV)).toThrow(message);
    }
    // A token is a secret: a refused one is not quoted back.
    expect(() => resolveDevtoolsOptions({ acceptSpans: { token: 'hunter2' } }, DEV)).not.toThrow(
      /hunter2/,
    );
  });

  it('refuses to run when NODE_ENV is production, saying how to force it', () => {
    for (const NODE_ENV of ['production', ' Production ']) {
      expect(() => resolveDevtoolsOptions(true, { NODE_ENV })).toThrow(TracingConfigError);
      expect(() => resolveDevtoolsOptions({}, { NODE_ENV })).toThrow(
        /"devtools" is refused when NODE_ENV is "production".*devtools\.force: true/,
      );
    }
    expect(resolveDevtoolsOptions({ force: true }, { NODE_ENV: 'production' })?.path).toBe(
      '/_tracing',
    );
    expect(resolveDevtoolsOptions(true, { NODE_ENV: 'test' })).toBeDefined();
  });

  it('is a known TracingModule option', () => {
    expect(() => resolveTracingConfig({ devtools: true }, {})).not.toThrow();
  });
});
