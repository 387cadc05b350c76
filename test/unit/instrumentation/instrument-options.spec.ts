import { describe, expect, it } from 'vitest';
import { resolveInstrumentOptions } from '../../../lib/instrumentation/instrument-options.js';
import type { TracingInstrumentOptions } from '../../../lib/instrumentation/tracing-instrument-options.interface.js';
import { TracingConfigError } from '../../../lib/tracing.errors.js';

describe('resolveInstrumentOptions: unknown keys', () => {
  it.each([
    [
      'at the root',
      { exlude: ['UsersService'] },
      'createTracingInstrument: unknown option "exlude"; known options are include, exclude, frameworkModules, enhancers, collapse, keepOnlyRoot, holdLimits, clientProxy, bullmq, schedule, events (did you mean "exclude"?).',
    ],
    [
      'in collapse',
      { collapse: { threshold: 5, keepFirst: 2 } },
      'createTracingInstrument: unknown option "collapse.keepFirst"; known options are threshold, keep.',
    ],
    [
      'in holdLimits',
      { holdLimits: { maxHoldMillis: 10 } },
      'createTracingInstrument: unknown option "holdLimits.maxHoldMillis"; known options are maxSpansPerTrace, maxHeldSpans, maxHoldMs (did you mean "maxHoldMs"?).',
    ],
  ])(
    'are refused %s, naming the path, the known keys and the close match',
    (_, options, message) => {
      const resolve = () => resolveInstrumentOptions(options as TracingInstrumentOptions);
      expect(resolve).toThrow(TracingConfigError);
      expect(resolve).toThrow(message);
    },
  );

  it('accepts the known keys', () => {
    expect(() =>
      resolveInstrumentOptions({
        collapse: { threshold: 5, keep: 1 },
        holdLimits: { maxHoldMs: 5 },
      }),
    ).not.toThrow();
  });
});
