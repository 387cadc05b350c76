import { ErrorPolicy, type ErrorMatcher } from '../core/error-policy.js';
import type { TracingErrorOptions } from '../interfaces/tracing-module-options.interface.js';
import { optionKeys } from './option-keys.js';
import { invalidOption, rejectUnknownOptions } from '../tracing.errors.js';

const KNOWN_KEYS = optionKeys<TracingErrorOptions>({ countAsError: true });
const MATCHER = 'an HTTP status (100-599), an error class or a predicate (error) => boolean';

/** Validates the `errors` option and builds the tracer's ErrorPolicy from it. */
export function resolveErrorPolicy(option: TracingErrorOptions | undefined): ErrorPolicy {
  if (option === undefined) return new ErrorPolicy();
  if (option === null || typeof option !== 'object' || Array.isArray(option)) {
    throw invalidOption('errors', 'an object', option);
  }
  rejectUnknownOptions(option, 'errors', KNOWN_KEYS);
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
