import { isIP } from 'node:net';
import { optionKeys } from '../config/option-keys.js';
import { invalidOption, rejectUnknownOptions, TracingConfigError } from '../tracing.errors.js';
import {
  normaliseAddress,
  parseHostRule,
  type HostRule,
  type SpanIntakeRule,
} from './devtools-access.js';
import type {
  DevtoolsOptions,
  DevtoolsSpanIntakeOptions,
} from './interfaces/devtools-options.interface.js';

/** `devtools` after defaults; undefined when the viewer is off. */
export interface ResolvedDevtoolsOptions {
  /** No trailing slash. */
  readonly path: string;
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  readonly allowedHosts: readonly HostRule[];
  readonly acceptSpans: SpanIntakeRule;
}

export const DEVTOOLS_DEFAULTS = Object.freeze({
  path: '/_tracing',
  maxTraces: 100,
  maxSpansPerTrace: 1000,
});

const KNOWN_KEYS = optionKeys<DevtoolsOptions>({
  path: true,
  maxTraces: true,
  maxSpansPerTrace: true,
  allowedHosts: true,
  acceptSpans: true,
  force: true,
});
const INTAKE_KEYS = optionKeys<DevtoolsSpanIntakeOptions>({ from: true, token: true });
// Characters that need no escaping in a URL path, an HTML attribute or a JS string.
const SAFE_PATH = /^(\/[A-Za-z0-9._~-]+)+$/;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates the `devtools` option, throwing a TracingConfigError that names the key at
 * fault, and refuses the viewer in production unless `force` is set.
 */
export function resolveDevtoolsOptions(
  option: boolean | DevtoolsOptions | undefined,
  env: Env = process.env,
): ResolvedDevtoolsOptions | undefined {
  if (option === undefined || option === false) return undefined;
  if (option !== true && (option === null || typeof option !== 'object' || Array.isArray(option))) {
    throw invalidOption('devtools', 'true, false or an object of devtools options', option);
  }
  const given: DevtoolsOptions = option === true ? {} : option;
  rejectUnknownOptions(given, 'devtools', KNOWN_KEYS);
  if (given.force !== undefined && typeof given.force !== 'boolean') {
    throw invalidOption('devtools.force', 'a boolean', given.force);
  }
  const path = resolvePath(given.path);
  const maxTraces = positiveInteger(given.maxTraces, 'maxTraces', DEVTOOLS_DEFAULTS.maxTraces);
  const maxSpansPerTrace = positiveInteger(
    given.maxSpansPerTrace,
    'maxSpansPerTrace',
    DEVTOOLS_DEFAULTS.maxSpansPerTrace,
  );
  if (env.NODE_ENV?.trim().toLowerCase() === 'production' && given.force !== true) {
    throw new TracingConfigError(
      'TracingModule: option "devtools" is refused when NODE_ENV is "production": the trace ' +
        'viewer shows recorded request data to anyone who can reach the app. Leave it off in ' +
        'production, or set devtools.force: true to serve it behind your own access control.',
    );
  }
  return {
    path,
    maxTraces,
    maxSpansPerTrace,
    allowedHosts: resolveAllowedHosts(given.allowedHosts),
    acceptSpans: resolveSpanIntake(given.acceptSpans),
  };
}

function resolveAllowedHosts(value: unknown): HostRule[] {
  if (value === undefined) return [];
  const expected = 'an array of host names, with or without a port ("traces.internal:3000")';
  if (!Array.isArray(value)) throw invalidOption('devtools.allowedHosts', expected, value);
  return value.map((entry: unknown, i) => {
    const rule = typeof entry === 'string' ? parseHostRule(entry) : undefined;
    if (rule === undefined) throw invalidOption(`devtools.allowedHosts[${i}]`, expected, entry);
    return rule;
  });
}

function resolveSpanIntake(value: unknown): SpanIntakeRule {
  if (value === undefined || value === true) return { from: undefined, token: undefined };
  if (value === false) return false;
  const expected = 'a boolean or an object { from, token }';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption('devtools.acceptSpans', expected, value);
  }
  rejectUnknownOptions(value, 'devtools.acceptSpans', INTAKE_KEYS);
  const { from, token } = value as { from?: unknown; token?: unknown };
  if (token !== undefined && (typeof token !== 'string' || token.length < 16)) {
    // The value is not quoted back: it is meant to be a secret.
    throw new TracingConfigError(
      'TracingModule: option "devtools.acceptSpans.token" must be a string of at least 16 characters.',
    );
  }
  return { from: from === undefined ? undefined : resolveSenders(from), token };
}

function resolveSenders(value: unknown): Set<string> {
  const expected = "an array of IP addresses or 'loopback'";
  if (!Array.isArray(value)) throw invalidOption('devtools.acceptSpans.from', expected, value);
  return new Set(
    value.map((entry: unknown, i) => {
      if (entry === 'loopback') return entry;
      if (typeof entry !== 'string' || isIP(entry) === 0) {
        throw invalidOption(`devtools.acceptSpans.from[${i}]`, expected, entry);
      }
      return normaliseAddress(entry);
    }),
  );
}

function resolvePath(value: unknown): string {
  if (value === undefined) return DEVTOOLS_DEFAULTS.path;
  const path = typeof value === 'string' && value.length > 1 ? value.replace(/\/+$/, '') : value;
  if (typeof path !== 'string' || !SAFE_PATH.test(path) || /\/\.\.?(\/|$)/.test(path)) {
    throw invalidOption(
      'devtools.path',
      'an absolute path of letters, digits and . _ ~ - segments, such as "/_tracing"',
      value,
    );
  }
  return path;
}

function positiveInteger(value: unknown, key: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw invalidOption(`devtools.${key}`, 'a positive integer', value);
  }
  return value;
}
