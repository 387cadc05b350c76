import { describe, expect, it } from 'vitest';
import { describeValue } from '../../../lib/core/describe-value.js';
import { optionError } from '../../../lib/export/transport/exporter-options.js';
import { ZipkinExporter } from '../../../lib/export/spans/zipkin/zipkin-exporter.js';
import { resolveHttpTracingOptions } from '../../../lib/http/http-tracing-options.js';
import { runJob } from '../../../lib/logging/run-context.js';
import type { RunOptions } from '../../../lib/logging/run-context.js';
import { invalidOption } from '../../../lib/tracing.errors.js';

function namedFn(): void {}

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('describeValue', () => {
  it.each([
    ['text', '"text"'],
    [42, '42'],
    [undefined, 'undefined'],
    [null, 'null'],
    [[1, 2], 'an array'],
    [{ token: 'secret', name: 'x' }, 'an object with keys [token, name]'],
    [namedFn, 'function namedFn'],
    [() => {}, 'function (anonymous)'],
  ])('describes %o as %s, never showing an object’s values', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('is the one description every layer’s option errors use', () => {
    const value = { token: 'secret' };
    const shown = describeValue(value);
    const messages = [
      invalidOption('x', 'a string', value).message,
      optionError('LokiLogExporter', 'x', 'a string', value).message,
      messageOf(() => new ZipkinExporter({ timeoutMs: value as unknown as number })),
      messageOf(() => resolveHttpTracingOptions({ maxBodyBytes: value as unknown as number })),
      messageOf(() => runJob({ workflow: value } as unknown as RunOptions, () => undefined)),
    ];
    for (const message of messages) {
      expect(message).toContain(`got ${shown}`);
      expect(message).not.toContain('secret');
    }
  });
});
