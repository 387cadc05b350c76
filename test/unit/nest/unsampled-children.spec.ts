import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { NonRecordingSpan } from '../../../lib/core/non-recording-span.js';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '../../../lib/core/samplers.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { activeContext, runWithContext } from '../../../lib/core/trace-context.js';
import { Tracer } from '../../../lib/core/tracer.js';
import { TraceFlags } from '../../../lib/core/types.js';
import { wrapMethod } from '../../../lib/decorators/traced-method.js';

const resource = { attributes: { 'service.name': 'unsampled' } };

function tracerWith(sampler: Sampler, recordUnsampled = false) {
  const exporter = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource,
    sampler,
    recordUnsampled,
  });
  return { tracer, exporter };
}

const unsampledRemote = new NonRecordingSpan({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.NONE,
  isRemote: true,
});
const sampledRemote = new NonRecordingSpan({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
  isRemote: true,
});

describe('children of a trace that is not sampled', () => {
  it('are known to be dropped with the default parent-based sampler', () => {
    const { tracer } = tracerWith(new ParentBasedSampler(new TraceIdRatioBasedSampler(0)));
    const root = tracer.startSpan('root');
    expect(root.isRecording()).toBe(false);
    expect(tracer.dropsChildOf(root)).toBe(true);
    expect(tracer.dropsChildOf(unsampledRemote)).toBe(true);
    expect(tracer.dropsChildOf(sampledRemote)).toBe(false);
    expect(tracer.dropsChildOf(tracerWith(new AlwaysOnSampler()).tracer.startSpan('x'))).toBe(
      false,
    );
  });

  it('are known to be dropped with the always-off sampler', () => {
    const { tracer } = tracerWith(new AlwaysOffSampler());
    expect(tracer.dropsChildOf(tracer.startSpan('root'))).toBe(true);
  });

  it('are not skipped when the sampler may keep them or processors want unsampled spans', () => {
    const keepsLocal = new ParentBasedSampler(
      new AlwaysOffSampler(),
      undefined,
      undefined,
      undefined,
      new AlwaysOnSampler(),
    );
    expect(tracerWith(keepsLocal).tracer.dropsChildOf(unsampledRemote)).toBe(false);
    const { tracer } = tracerWith(new AlwaysOffSampler(), true);
    expect(tracer.dropsChildOf(unsampledRemote)).toBe(false);
  });

  it('@Traced() runs the method in the parent context, with no span of its own', async () => {
    const { tracer, exporter } = tracerWith(new ParentBasedSampler(new AlwaysOffSampler()));
    const seen: unknown[] = [];
    const method = wrapMethod(
      async function find(this: unknown, ...args: unknown[]) {
        const id = args[0] as number;
        seen.push((this as { tag: string }).tag, id, activeContext().span);
        return id + 1;
      },
      'Users',
      'find',
      {},
    );
    const root = tracer.startSpan('request');
    const ctx = tracer.createContext(root, 'corr', undefined);
    const result = await runWithContext(ctx, () => method.call({ tag: 'self' }, 41));
    expect(result).toBe(42);
    // Same `this`, same arguments, and the request's own span is still the active one.
    expect(seen).toEqual(['self', 41, root]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('@Traced() still records each call when processors want unsampled spans', async () => {
    const ended: string[] = [];
    const tracer = new Tracer({
      processor: {
        onEnd: (span) => ended.push(span.name),
        forceFlush: () => Promise.resolve(),
        shutdown: () => Promise.resolve(),
      },
      resource,
      sampler: new ParentBasedSampler(new AlwaysOffSampler()),
      recordUnsampled: true,
    });
    const method = wrapMethod(async () => 1, 'Users', 'count', {});
    const root = tracer.startSpan('request');
    await runWithContext(tracer.createContext(root, 'corr', undefined), () => method());
    expect(ended).toEqual(['Users.count']);
  });
});
