import { ErrorPolicy, type ErrorMatcher } from '../core/error-policy.js';
import type { TracingErrorOptions } from '../interfaces/tracing-module-options.interface.js';
import { invalidOption, TracingConfigError } from '../tracing.errors.js';

const KNOWN_KEYS = ['countAsError'];
const MATCHER = 'an HTTP status (100-599), an error class or a predicate (error) => boolean';

/** Validates the `errors` option and builds the tracer's ErrorPolicy from it. */
export function resolveErrorPolicy(option: TracingErrorOptions | undefined): ErrorPolicy {
  if (option === undefined) return new ErrorPolicy();
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw invalidOption('errors', 'an object', option);
  }
  for (const key of Object.keys(option)) {
    if (!KNOWN_KEYS.includes(key)) {
      throw new TracingConfigError(
        `TracingModule: unknown option "errors.${key}"; known options are ${KNOWN_KEYS.join(', ')}.`,
      );
    }
  }
  const list: unknown = option.countAsError ?? [];
  if (!Array.isArray(list))
    throw invalidOption('errors.countAsError', `an array of ${MATCHER}`, list);
  list.forEach((matcher: unknown, i) => {
    const isStatus =
      Number.isInteger(matcher) && (matcher as number) >= 100 && (matcher as number) <= 599;
    if (!isStatus && typeof matcher !== 'function') {
      throw invalidOption(`errors.countAsError[${i}]`, MATCHER, matcher);
    }
  });
  return new ErrorPolicy(list as ErrorMatcher[]);
}
