import { optionKeys } from '../config/option-keys.js';
import { rejectUnknownOptions, TracingConfigError } from '../tracing.errors.js';
import type { HttpTracingOptions } from './interfaces/http-tracing-options.interface.js';
import { Redactor } from '../core/redaction/redaction.js';
import { describeValue } from '../core/describe-value.js';

export const DEFAULT_MAX_BODY_BYTES = 4096;
export const DEFAULT_MAX_RECORDS = 100;
export const DEFAULT_VERBOSE_MAX_BODY_BYTES = 1024 * 1024;

/** `HttpTracingOptions` with defaults applied: what the instrumentation reads. */
export interface ResolvedHttpTracingOptions {
  readonly redactor: Redactor;
  readonly recordBodies: boolean;
  readonly maxBodyBytes: number;
  readonly spanHeaders: boolean;
  /** 0 keeps no records. */
  readonly maxRecords: number;
  readonly verbose: { readonly dir: string; readonly maxBodyBytes: number } | undefined;
}

const KNOWN_OPTIONS = optionKeys<HttpTracingOptions>({
  redactHeaders: true,
  redactQueryParams: true,
  redactBodyKeys: true,
  recordBodies: true,
  maxBodyBytes: true,
  spanHeaders: true,
  records: true,
  verbose: true,
});
const RECORDS_KEYS = optionKeys<{ max?: number }>({ max: true });
const VERBOSE_KEYS = optionKeys<NonNullable<HttpTracingOptions['verbose']>>({
  dir: true,
  maxBodyBytes: true,
});

/**
 * Validates the options (throwing on the first bad one, naming it) and applies defaults.
 * `owner` names the caller in messages: `TracedHttpModule` or `instrumentAxios`.
 */
export function resolveHttpTracingOptions(
  options: HttpTracingOptions | undefined = {},
  owner = 'TracedHttpModule',
): ResolvedHttpTracingOptions {
  const fail = (option: string, expected: string, got: unknown): never => {
    throw new TracingConfigError(
      `${owner}: option "tracing.${option}" must be ${expected}; got ${describeValue(got)}.`,
    );
  };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TracingConfigError(
      `${owner}: option "tracing" must be an object; got ${describeValue(options)}.`,
    );
  }
  rejectUnknownOptions(options, 'tracing', KNOWN_OPTIONS, owner);
  const names = (key: 'redactHeaders' | 'redactQueryParams' | 'redactBodyKeys'): string[] => {
    const value = options[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
      fail(key, 'an array of non-empty strings', value);
    }
    return value;
  };
  const flag = (key: 'recordBodies' | 'spanHeaders', fallback: boolean): boolean => {
    const value = options[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') fail(key, 'a boolean', value);
    return value;
  };
  const positive = (key: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      fail(key, 'a positive integer', value);
    }
    return value as number;
  };

  const redactor = new Redactor({
    headers: names('redactHeaders'),
    queryParams: names('redactQueryParams'),
    bodyKeys: names('redactBodyKeys'),
  });

  let maxRecords = DEFAULT_MAX_RECORDS;
  const records = options.records;
  if (records === false) maxRecords = 0;
  else if (records !== undefined) {
    if (records === null || typeof records !== 'object' || Array.isArray(records)) {
      fail('records', '{ max?: number } or false', records);
    }
    rejectUnknownOptions(records, 'tracing.records', RECORDS_KEYS, owner);
    maxRecords = positive('records.max', records.max, DEFAULT_MAX_RECORDS);
  }

  let verbose: ResolvedHttpTracingOptions['verbose'];
  const v = options.verbose;
  if (v !== undefined) {
    if (v === null || typeof v !== 'object' || typeof v.dir !== 'string' || v.dir === '') {
      fail('verbose', '{ dir: string, maxBodyBytes?: number }', v);
    }
    rejectUnknownOptions(v, 'tracing.verbose', VERBOSE_KEYS, owner);
    verbose = {
      dir: v.dir,
      maxBodyBytes: positive(
        'verbose.maxBodyBytes',
        v.maxBodyBytes,
        DEFAULT_VERBOSE_MAX_BODY_BYTES,
      ),
    };
  }

  return {
    redactor,
    recordBodies: flag('recordBodies', false),
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
    spanHeaders: flag('spanHeaders', true),
    maxRecords,
    verbose,
  };
}
