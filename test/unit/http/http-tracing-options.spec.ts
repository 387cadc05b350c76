import { describe, expect, it } from 'vitest';
import { TracingConfigError } from '../../../lib/index.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_RECORDS,
  DEFAULT_VERBOSE_MAX_BODY_BYTES,
  resolveHttpTracingOptions,
} from '../../../lib/http/http-tracing-options.js';
import type { HttpTracingOptions } from '../../../lib/http/index.js';

describe('resolveHttpTracingOptions', () => {
  it('applies the defaults: no bodies, 4 KiB cap, headers on the span, 100 records, no verbose files', () => {
    const resolved = resolveHttpTracingOptions(undefined);
    expect(resolved).toMatchObject({
      recordBodies: false,
      maxBodyBytes: DEFAULT_MAX_BODY_BYTES,
      spanHeaders: true,
      maxRecords: DEFAULT_MAX_RECORDS,
      verbose: undefined,
    });
    expect([DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_RECORDS]).toEqual([4096, 100]);
    expect(resolved.redactor.isSecretHeader('Authorization')).toBe(true);
  });

  it('turns records off with false and fills the verbose cap', () => {
    const resolved = resolveHttpTracingOptions({ records: false, verbose: { dir: '/tmp/x' } });
    expect(resolved.maxRecords).toBe(0);
    expect(resolved.verbose).toEqual({
      dir: '/tmp/x',
      maxBodyBytes: DEFAULT_VERBOSE_MAX_BODY_BYTES,
    });
  });

  it('adds the configured names to the redaction rules', () => {
    const { redactor } = resolveHttpTracingOptions({
      redactHeaders: ['X-Tenant'],
      redactQueryParams: ['state'],
      redactBodyKeys: ['iban'],
    });
    expect(redactor.isSecretHeader('x-tenant')).toBe(true);
    expect(redactor.isSecretQueryParam('STATE')).toBe(true);
    expect(redactor.isSecretBodyKey('IBAN')).toBe(true);
    expect(redactor.isSecretBodyKey('name')).toBe(false);
  });

  it('does not mutate the options it is given', () => {
    const options: HttpTracingOptions = Object.freeze({
      redactHeaders: Object.freeze(['a']) as string[],
      records: Object.freeze({ max: 3 }),
    });
    expect(resolveHttpTracingOptions(options).maxRecords).toBe(3);
  });

  it.each<[string, unknown, string]>([
    [
      'maxBodyBytes',
      { maxBodyBytes: 0 },
      'option "tracing.maxBodyBytes" must be a positive integer; got 0.',
    ],
    [
      'recordBodies',
      { recordBodies: 'yes' },
      'option "tracing.recordBodies" must be a boolean; got "yes".',
    ],
    [
      'redactHeaders',
      { redactHeaders: 'authorization' },
      'option "tracing.redactHeaders" must be an array of non-empty strings; got "authorization".',
    ],
    [
      'records.max',
      { records: { max: 1.5 } },
      'option "tracing.records.max" must be a positive integer; got 1.5.',
    ],
    [
      'verbose',
      { verbose: { dir: '' } },
      'option "tracing.verbose" must be { dir: string, maxBodyBytes?: number }; got an object with keys [dir].',
    ],
    [
      'an unknown key',
      { recordBody: true },
      'unknown option "tracing.recordBody"; known options are',
    ],
    [
      'an unknown key in records',
      { records: { maxRecords: 5 } },
      'unknown option "tracing.records.maxRecords"; known options are max.',
    ],
    [
      'an unknown key in verbose',
      { verbose: { dir: '/tmp/x', maxBodySize: 5 } },
      'unknown option "tracing.verbose.maxBodySize"; known options are dir, maxBodyBytes (did you mean "maxBodyBytes"?).',
    ],
  ])('rejects a bad %s with a message naming the option', (_name, options, message) => {
    expect(() =>
      resolveHttpTracingOptions(options as HttpTracingOptions, 'TracedHttpModule'),
    ).toThrow(TracingConfigError);
    expect(() =>
      resolveHttpTracingOptions(options as HttpTracingOptions, 'TracedHttpModule'),
    ).toThrow(`TracedHttpModule: ${message}`);
  });
});
