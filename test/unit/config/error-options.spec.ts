import { ConflictException, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { TracingConfigError } from '../../../lib/index.js';

describe('the errors option', () => {
  it('leaves 4xx HttpExceptions unset by default', () => {
    const { errorPolicy } = resolveTracingConfig({}, {});
    expect(errorPolicy.isError(new NotFoundException())).toBe(false);
    expect(errorPolicy.isError(new ConflictException())).toBe(false);
  });

  it('builds the policy from countAsError: statuses, classes and predicates', () => {
    const { errorPolicy } = resolveTracingConfig(
      { errors: { countAsError: [409, NotFoundException, (e) => e === 'teapot'] } },
      {},
    );
    expect(errorPolicy.isError(new ConflictException())).toBe(true);
    expect(errorPolicy.isErrorStatus(409)).toBe(true);
    expect(errorPolicy.isError(new NotFoundException())).toBe(true);
    expect(errorPolicy.isError('teapot')).toBe(true);
  });

  it.each([
    [{ errors: [409] }, /option "errors" must be an object; got an array/],
    [{ errors: { countAsError: 409 } }, /option "errors.countAsError" must be an array of/],
    [
      { errors: { countAsError: [409, '409'] } },
      /option "errors.countAsError\[1\]" must be an HTTP status \(100-599\), an error class or a predicate/,
    ],
    [{ errors: { countAsError: [40.9] } }, /option "errors.countAsError\[0\]"/],
    [{ errors: { countAsErrors: [409] } }, /unknown option "errors.countAsErrors"/],
  ])('rejects %j with a message naming the option', (options, message) => {
    expect(() => resolveTracingConfig(options as never, {})).toThrow(TracingConfigError);
    expect(() => resolveTracingConfig(options as never, {})).toThrow(message);
  });
});
