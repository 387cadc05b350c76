import { ENV_EXPORTER_NAMES } from './config/exporter-types.js';
import { findUnknownOption } from './config/option-keys.js';
import { describeValue } from './core/describe-value.js';

/** A misconfiguration found at start-up; the message names the option and what was expected. */
export class TracingConfigError extends Error {
  override readonly name = 'TracingConfigError';
}

export function invalidOption(option: string, expected: string, got: unknown): TracingConfigError {
  return new TracingConfigError(
    `TracingModule: option "${option}" must be ${expected}; got ${describeValue(got)}.`,
  );
}

/**
 * Throws when `value` has a key outside `known`, naming its full path (`path` is the
 * object's own, '' for the root), the known keys and the close match.
 */
export function rejectUnknownOptions(
  value: object,
  path: string,
  known: readonly string[],
  owner = 'TracingModule',
): void {
  const problem = findUnknownOption(value, path, known);
  if (problem !== undefined) throw new TracingConfigError(`${owner}: ${problem}.`);
}

export const MESSAGES = {
  asyncSourceMissing:
    'TracingModule.forRootAsync: provide one of useFactory, useClass or useExisting.',
  optionRenamed: (old: string, now: string) =>
    `TracingModule: option "${old}" is deprecated and will be removed in the next release; use "${now}" (same meaning).`,
  envIgnored: (name: string, value: string, expected: string) =>
    `${name}=${JSON.stringify(value)} is not valid (expected ${expected}); using the default.`,
  exporterUnavailable: (name: string) =>
    `OTEL_TRACES_EXPORTER: unknown exporter "${name}" (expected ${ENV_EXPORTER_NAMES.join(', ')}); ignoring it.`,
  noExporters:
    'No span exporters configured: spans are created and propagated but not exported. ' +
    "Add exporters to TracingModule.forRoot (e.g. [{ type: 'console' }]) or set OTEL_TRACES_EXPORTER.",
  exportFailed: (exporter: string, message: string) =>
    `Span export through ${exporter} failed: ${message} (further failures of this kind are not logged).`,
} as const;
