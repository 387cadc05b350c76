import { describe, expect, it } from 'vitest';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import { TraceIdRatioBasedSampler } from '../../../lib/core/samplers.js';
import { TracingConfigError, type TracingModuleOptions } from '../../../lib/index.js';

const resolve = (options: unknown) => resolveTracingConfig(options as TracingModuleOptions, {});

describe('sampling.tail options', () => {
  it('is off by default, and when given enabled: false', () => {
    expect(resolve({}).tailSampling).toBeUndefined();
    expect(resolve({ sampling: {} }).tailSampling).toBeUndefined();
    expect(resolve({ sampling: { tail: { enabled: false } } }).tailSampling).toBeUndefined();
  });

  it('resolves defaults, with the head sampler as the head rule', () => {
    const config = resolve({
      sampler: { type: 'traceidratio', ratio: 0.01 },
      sampling: { tail: { thresholdMs: 250, drop: [{ route: '/health', statusCode: 200 }] } },
    });
    expect(config.tailSampling).toMatchObject({
      keepErrors: true,
      thresholdMs: 250,
      keep: [],
      drop: [{ route: '/health', statusCode: 200 }],
      maxTraces: 1000,
      maxSpansPerTrace: 500,
      maxWaitMs: 30000,
    });
    expect(config.tailSampling!.headSampler).toBe(config.sampler);
    expect(config.sampler).toBeInstanceOf(TraceIdRatioBasedSampler);
  });

  it.each([
    [{ sampling: { tial: {} } }, /unknown option "sampling.tial".*did you mean "tail"/],
    [{ sampling: { tail: { threshold: 1 } } }, /unknown option "sampling.tail.threshold"/],
    [
      { sampling: { tail: { keep: [{ path: '/x' }] } } },
      /unknown option "sampling.tail.keep\[0\].path"/,
    ],
    [{ sampling: 1 }, /"sampling"/],
    [{ sampling: { tail: true } }, /"sampling.tail"/],
    [{ sampling: { tail: { thresholdMs: -1 } } }, /"sampling.tail.thresholdMs"/],
    [{ sampling: { tail: { maxTraces: 0 } } }, /"sampling.tail.maxTraces"/],
    [{ sampling: { tail: { maxWaitMs: 1.5 } } }, /"sampling.tail.maxWaitMs"/],
    [{ sampling: { tail: { keepErrors: 'yes' } } }, /"sampling.tail.keepErrors"/],
    [{ sampling: { tail: { drop: {} } } }, /"sampling.tail.drop"/],
    [{ sampling: { tail: { drop: [{}] } } }, /"sampling.tail.drop\[0\]"/],
    [
      { sampling: { tail: { drop: [{ statusCode: '200' }] } } },
      /"sampling.tail.drop\[0\].statusCode"/,
    ],
    [{ sampling: { tail: { keep: [{ route: 5 }] } } }, /"sampling.tail.keep\[0\].route"/],
    [{ sampling: { tail: { keep: [{ match: true }] } } }, /"sampling.tail.keep\[0\].match"/],
    [{ sampling: { tail: { keep: [{ attributes: { a: {} } }] } } }, /keep\[0\].attributes\["a"\]/],
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => resolve(options)).toThrow(TracingConfigError);
    expect(() => resolve(options)).toThrow(message);
  });
});
