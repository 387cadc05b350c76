import { optionKeys } from '../core/option-keys.js';
import { invalidOption, rejectUnknownOptions, TracingConfigError } from '../tracing.errors.js';
import type { DevtoolsOptions } from './interfaces/devtools-options.interface.js';

/** `devtools` after defaults; undefined when the viewer is off. */
export interface ResolvedDevtoolsOptions {
  /** No trailing slash. */
  readonly path: string;
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  readonly acceptSpans: boolean;
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
  acceptSpans: true,
  force: true,
});
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
  if (given.acceptSpans !== undefined && typeof given.acceptSpans !== 'boolean') {
    throw invalidOption('devtools.acceptSpans', 'a boolean', given.acceptSpans);
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
  return { path, maxTraces, maxSpansPerTrace, acceptSpans: given.acceptSpans ?? true };
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
