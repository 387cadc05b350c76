import { describe, expect, it, vi } from 'vitest';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import {
  RandomIdGenerator,
  isValidSpanId,
  isValidTraceId,
} from '../../../lib/core/id-generator.js';
import { NonRecordingSpan } from '../../../lib/core/non-recording-span.js';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  FunctionSampler,
  ParentBasedSampler,
  SAMPLER_NAMES,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  createSampler,
  type Sampler,
  type SamplingParameters,
} from '../../../lib/core/samplers.js';
import { SimpleSpanProcessor } from '../../../lib/core/simple-span-processor.js';
import { RecordingSpan } from '../../../lib/core/span.js';
import type { SpanProcessor } from '../../../lib/core/span-processor.js';
import { Tracer } from '../../../lib/core/tracer.js';
import {
  SpanKind,
  TraceFlags,
  type ReadableSpan,
  type SpanContext,
} from '../../../lib/core/types.js';

const { DROP, RECORD_ONLY, RECORD_AND_SAMPLE } = SamplingDecision;
const ids = new RandomIdGenerator();

function decide(sampler: Sampler, traceId: string, parent?: SpanContext): SamplingDecision {
  return sampler.shouldSample(parent, traceId, 'op', SpanKind.INTERNAL, undefined);
}

/** A trace id whose right-most 14 hex digits (the 56 random bits) are `low`. */
function traceIdEndingWith(low: string, high = '0123456789abcdef01'): string {
  expect(low).toHaveLength(14);
  return high + low;
}

/** A sampler that always answers `decision`. */
function mark(decision: SamplingDecision): Sampler {
  return new FunctionSampler(() => decision);
}

function parentContext(sampled: boolean, isRemote: boolean): SpanContext {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote,
  };
}

function recordingSetup(sampler: Sampler) {
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: vi.fn<NonNullable<SpanProcessor['onStart']>>(),
    onEnd: vi.fn<SpanProcessor['onEnd']>((span) => {
      ended.push(span);
    }),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracer = new Tracer({
    processor,
    resource: { attributes: { 'service.name': 't' } },
    sampler,
  });
  return { tracer, processor, ended };
}

describe('AlwaysOnSampler and AlwaysOffSampler', () => {
  it('samples every span with AlwaysOn, whatever the parent', () => {
    const sampler = new AlwaysOnSampler();
    expect(decide(sampler, ids.generateTraceId())).toBe(RECORD_AND_SAMPLE);
    expect(decide(sampler, ids.generateTraceId(), parentContext(false, true))).toBe(
      RECORD_AND_SAMPLE,
    );
    expect(sampler.toString()).toBe('AlwaysOnSampler');
  });

  it('drops every span with AlwaysOff, whatever the parent', () => {
    const sampler = new AlwaysOffSampler();
    expect(decide(sampler, ids.generateTraceId())).toBe(DROP);
    expect(decide(sampler, ids.generateTraceId(), parentContext(true, true))).toBe(DROP);
    expect(sampler.toString()).toBe('AlwaysOffSampler');
  });
});

describe('TraceIdRatioBasedSampler', () => {
  it('samples nothing at ratio 0, not even the largest trace id', () => {
    const sampler = new TraceIdRatioBasedSampler(0);
    expect(decide(sampler, 'ffffffffffffffffffffffffffffffff')).toBe(DROP);
    for (let i = 0; i < 1_000; i++) expect(decide(sampler, ids.generateTraceId())).toBe(DROP);
  });

  it('samples everything at ratio 1, even the smallest trace id', () => {
    const sampler = new TraceIdRatioBasedSampler(1);
    expect(decide(sampler, '00000000000000000000000000000001')).toBe(RECORD_AND_SAMPLE);
    expect(decide(sampler, traceIdEndingWith('00000000000000', 'ffffffffffffffffff'))).toBe(
      RECORD_AND_SAMPLE,
    );
    for (let i = 0; i < 1_000; i++) {
      expect(decide(sampler, ids.generateTraceId())).toBe(RECORD_AND_SAMPLE);
    }
  });

  it('samples about a quarter of random trace ids at ratio 0.25', () => {
    const sampler = new TraceIdRatioBasedSampler(0.25);
    let sampled = 0;
    for (let i = 0; i < 20_000; i++) {
      if (decide(sampler, ids.generateTraceId()) === RECORD_AND_SAMPLE) sampled++;
    }
    // Expected 5000, standard deviation about 61: ±400 is more than 6 sigma.
    expect(sampled).toBeGreaterThan(4_600);
    expect(sampled).toBeLessThan(5_400);
  });

  it('gives the same decision for the same trace id on separate instances', () => {
    const here = new TraceIdRatioBasedSampler(0.3);
    const elsewhere = new TraceIdRatioBasedSampler(0.3);
    const decisions = new Set<SamplingDecision>();
    for (let i = 0; i < 2_000; i++) {
      const traceId = ids.generateTraceId();
      const first = decide(here, traceId);
      expect(decide(elsewhere, traceId)).toBe(first);
      expect(decide(here, traceId)).toBe(first);
      decisions.add(first);
    }
    expect(decisions).toEqual(new Set([DROP, RECORD_AND_SAMPLE]));
  });

  it('samples a trace id exactly at the threshold and drops the one just below it', () => {
    // ratio 0.25: threshold (1 - 0.25) * 2^56 = 0xc0000000000000.
    const quarter = new TraceIdRatioBasedSampler(0.25);
    expect(decide(quarter, traceIdEndingWith('c0000000000000'))).toBe(RECORD_AND_SAMPLE);
    expect(decide(quarter, traceIdEndingWith('bfffffffffffff'))).toBe(DROP);
    expect(decide(quarter, traceIdEndingWith('ffffffffffffff'))).toBe(RECORD_AND_SAMPLE);
    // ratio 0.5: threshold 0x80000000000000.
    const half = new TraceIdRatioBasedSampler(0.5);
    expect(decide(half, traceIdEndingWith('80000000000000'))).toBe(RECORD_AND_SAMPLE);
    expect(decide(half, traceIdEndingWith('7fffffffffffff'))).toBe(DROP);
  });

  it('decides on the right-most 56 bits only, ignoring the rest of the trace id', () => {
    const sampler = new TraceIdRatioBasedSampler(0.5);
    expect(decide(sampler, traceIdEndingWith('7fffffffffffff', 'ffffffffffffffffff'))).toBe(DROP);
    expect(decide(sampler, traceIdEndingWith('80000000000000', '000000000000000000'))).toBe(
      RECORD_AND_SAMPLE,
    );
  });

  it('rejects ratios outside 0 to 1 and NaN with a RangeError', () => {
    for (const bad of [-0.1, 1.0001, 2, Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      expect(() => new TraceIdRatioBasedSampler(bad)).toThrow(RangeError);
    }
    expect(() => new TraceIdRatioBasedSampler(Number.NaN)).toThrow(/0 to 1.*NaN/);
  });

  it('describes itself with its ratio', () => {
    expect(new TraceIdRatioBasedSampler(0.25).toString()).toBe('TraceIdRatioBased{0.25}');
  });
});

describe('ParentBasedSampler', () => {
  it('samples under a sampled remote parent and drops under an unsampled one', () => {
    const sampler = new ParentBasedSampler(new AlwaysOffSampler());
    const traceId = ids.generateTraceId();
    expect(decide(sampler, traceId, parentContext(true, true))).toBe(RECORD_AND_SAMPLE);
    expect(
      decide(new ParentBasedSampler(new AlwaysOnSampler()), traceId, parentContext(false, true)),
    ).toBe(DROP);
  });

  it('samples under a sampled local parent and drops under an unsampled one', () => {
    const traceId = ids.generateTraceId();
    expect(
      decide(new ParentBasedSampler(new AlwaysOffSampler()), traceId, parentContext(true, false)),
    ).toBe(RECORD_AND_SAMPLE);
    expect(
      decide(new ParentBasedSampler(new AlwaysOnSampler()), traceId, parentContext(false, false)),
    ).toBe(DROP);
  });

  it('asks the root sampler only for spans without a parent', () => {
    const root = new FunctionSampler(() => RECORD_ONLY);
    const shouldSample = vi.spyOn(root, 'shouldSample');
    const sampler = new ParentBasedSampler(root);
    const traceId = ids.generateTraceId();
    expect(decide(sampler, traceId)).toBe(RECORD_ONLY);
    expect(shouldSample).toHaveBeenCalledTimes(1);
    expect(shouldSample.mock.calls[0]![1]).toBe(traceId);
    decide(sampler, traceId, parentContext(true, true));
    decide(sampler, traceId, parentContext(false, false));
    expect(shouldSample).toHaveBeenCalledTimes(1);
  });

  it('routes each kind of parent to its own delegate', () => {
    const sampler = new ParentBasedSampler(
      new AlwaysOffSampler(),
      mark(RECORD_ONLY), // remote sampled
      mark(RECORD_AND_SAMPLE), // remote not sampled
      new AlwaysOffSampler(), // local sampled
      mark(RECORD_ONLY), // local not sampled
    );
    const traceId = ids.generateTraceId();
    expect(decide(sampler, traceId, parentContext(true, true))).toBe(RECORD_ONLY);
    expect(decide(sampler, traceId, parentContext(false, true))).toBe(RECORD_AND_SAMPLE);
    expect(decide(sampler, traceId, parentContext(true, false))).toBe(DROP);
    expect(decide(sampler, traceId, parentContext(false, false))).toBe(RECORD_ONLY);
  });

  it('names its root sampler', () => {
    expect(new ParentBasedSampler(new TraceIdRatioBasedSampler(0.5)).toString()).toBe(
      'ParentBased{root=TraceIdRatioBased{0.5}}',
    );
  });
});

describe('FunctionSampler', () => {
  it('samples on true and drops on false', () => {
    expect(decide(new FunctionSampler(() => true), ids.generateTraceId())).toBe(RECORD_AND_SAMPLE);
    expect(decide(new FunctionSampler(() => false), ids.generateTraceId())).toBe(DROP);
  });

  it('passes an explicit decision through', () => {
    for (const decision of [DROP, RECORD_ONLY, RECORD_AND_SAMPLE]) {
      expect(decide(new FunctionSampler(() => decision), ids.generateTraceId())).toBe(decision);
    }
  });

  it('hands the function the parent, trace id, name, kind and attributes', () => {
    const fn = vi.fn<(params: SamplingParameters) => boolean>(() => true);
    const parent = parentContext(true, true);
    const traceId = ids.generateTraceId();
    new FunctionSampler(fn).shouldSample(parent, traceId, 'GET /health', SpanKind.SERVER, {
      'http.route': '/health',
    });
    expect(fn).toHaveBeenCalledWith({
      parent,
      traceId,
      name: 'GET /health',
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/health' },
    });
  });

  it('drops the span when the function throws', () => {
    const sampler = new FunctionSampler(() => {
      throw new Error('sampler bug');
    });
    expect(decide(sampler, ids.generateTraceId())).toBe(DROP);
  });

  it('drops the span when the function returns something that is not a decision', () => {
    const sampler = new FunctionSampler(() => 7 as unknown as boolean);
    expect(decide(sampler, ids.generateTraceId())).toBe(DROP);
    const undef = new FunctionSampler(() => undefined as unknown as boolean);
    expect(decide(undef, ids.generateTraceId())).toBe(DROP);
  });
});

describe('createSampler', () => {
  const sampledRemote = parentContext(true, true);
  const unsampledRemote = parentContext(false, true);
  const anyId = 'ffffffffffffffffffffffffffffffff';

  it('knows every OTEL_TRACES_SAMPLER name this library supports', () => {
    expect([...SAMPLER_NAMES].toSorted()).toEqual(
      [
        'always_off',
        'always_on',
        'parentbased_always_off',
        'parentbased_always_on',
        'parentbased_traceidratio',
        'traceidratio',
      ].toSorted(),
    );
    for (const name of SAMPLER_NAMES) expect(() => createSampler(name)).not.toThrow();
  });

  it('makes always_on and always_off ignore the parent', () => {
    expect(decide(createSampler('always_on'), anyId, unsampledRemote)).toBe(RECORD_AND_SAMPLE);
    expect(decide(createSampler('always_off'), anyId, sampledRemote)).toBe(DROP);
    expect(createSampler('always_on').toString()).toBe('AlwaysOnSampler');
    expect(createSampler('always_off').toString()).toBe('AlwaysOffSampler');
  });

  it('makes traceidratio use the argument, defaulting to 1', () => {
    expect(createSampler('traceidratio').toString()).toBe('TraceIdRatioBased{1}');
    expect(decide(createSampler('traceidratio'), '00000000000000000000000000000001')).toBe(
      RECORD_AND_SAMPLE,
    );
    const none = createSampler('traceidratio', 0);
    expect(decide(none, anyId)).toBe(DROP);
    // Not parent-based: the parent's decision is ignored.
    expect(decide(none, anyId, sampledRemote)).toBe(DROP);
  });

  it('makes parentbased_always_on sample roots and follow parents', () => {
    const sampler = createSampler('parentbased_always_on');
    expect(sampler.toString()).toBe('ParentBased{root=AlwaysOnSampler}');
    expect(decide(sampler, anyId)).toBe(RECORD_AND_SAMPLE);
    expect(decide(sampler, anyId, unsampledRemote)).toBe(DROP);
  });

  it('makes parentbased_always_off drop roots and follow parents', () => {
    const sampler = createSampler('parentbased_always_off');
    expect(sampler.toString()).toBe('ParentBased{root=AlwaysOffSampler}');
    expect(decide(sampler, anyId)).toBe(DROP);
    expect(decide(sampler, anyId, sampledRemote)).toBe(RECORD_AND_SAMPLE);
  });

  it('makes parentbased_traceidratio apply the ratio to roots only', () => {
    const sampler = createSampler('parentbased_traceidratio', 0);
    expect(sampler.toString()).toBe('ParentBased{root=TraceIdRatioBased{0}}');
    expect(decide(sampler, anyId)).toBe(DROP);
    expect(decide(sampler, anyId, sampledRemote)).toBe(RECORD_AND_SAMPLE);
  });

  it('rejects a ratio argument outside 0 to 1', () => {
    expect(() => createSampler('traceidratio', 1.5)).toThrow(RangeError);
    expect(() => createSampler('parentbased_traceidratio', -1)).toThrow(RangeError);
  });

  it('rejects an unknown name, naming it and the names it accepts', () => {
    expect(() => createSampler('sometimes')).toThrow(/"sometimes".*always_on.*traceidratio/);
    expect(() => createSampler('')).toThrow(/unknown sampler/);
  });
});

describe('sampling through the Tracer', () => {
  it('gives an unsampled root span valid ids but does not record or hand it to the processor', () => {
    const { tracer, processor } = recordingSetup(new AlwaysOffSampler());
    const span = tracer.startSpan('dropped');
    expect(span).toBeInstanceOf(NonRecordingSpan);
    expect(span.isRecording()).toBe(false);
    const ctx = span.spanContext();
    expect(isValidTraceId(ctx.traceId)).toBe(true);
    expect(isValidSpanId(ctx.spanId)).toBe(true);
    expect(ctx.traceFlags & TraceFlags.SAMPLED).toBe(0);
    span.setAttribute('a', 1);
    span.end();
    expect(processor.onStart).not.toHaveBeenCalled();
    expect(processor.onEnd).not.toHaveBeenCalled();
  });

  it('gives a span under an unsampled remote parent the parent trace id and a new span id', () => {
    const { tracer, processor } = recordingSetup(new ParentBasedSampler(new AlwaysOnSampler()));
    const parent = parentContext(false, true);
    const span = tracer.startSpan('child', { parent });
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toBe(parent.traceId);
    expect(isValidSpanId(span.spanContext().spanId)).toBe(true);
    expect(span.spanContext().spanId).not.toBe(parent.spanId);
    expect(span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
    span.end();
    expect(processor.onEnd).not.toHaveBeenCalled();
  });

  it('keeps the whole local subtree of an unsampled span unsampled', () => {
    const { tracer, processor } = recordingSetup(
      new ParentBasedSampler(new TraceIdRatioBasedSampler(0)),
    );
    const seen: { traceId: string; spanId: string; flags: number; recording: boolean }[] = [];
    tracer.withSpan('root', (root) => {
      seen.push({ ...ctxOf(root), recording: root.isRecording() });
      tracer.withSpan('child', (child) => {
        seen.push({ ...ctxOf(child), recording: child.isRecording() });
        tracer.withSpan('grandchild', (grandchild) => {
          seen.push({ ...ctxOf(grandchild), recording: grandchild.isRecording() });
        });
      });
    });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.traceId)).size).toBe(1);
    expect(new Set(seen.map((s) => s.spanId)).size).toBe(3);
    for (const s of seen) {
      expect(s.recording).toBe(false);
      expect(s.flags & TraceFlags.SAMPLED).toBe(0);
      expect(isValidSpanId(s.spanId)).toBe(true);
    }
    expect(processor.onEnd).not.toHaveBeenCalled();
  });

  it('records a RECORD_ONLY span but SimpleSpanProcessor does not export it', () => {
    const exporter = new InMemorySpanExporter();
    const tracer = new Tracer({
      processor: new SimpleSpanProcessor(exporter),
      resource: { attributes: { 'service.name': 't' } },
      sampler: new FunctionSampler(() => RECORD_ONLY),
    });
    const span = tracer.startSpan('local-only');
    expect(span).toBeInstanceOf(RecordingSpan);
    expect(span.isRecording()).toBe(true);
    span.setAttribute('kept', 'yes');
    expect((span as RecordingSpan).attributes).toEqual({ kept: 'yes' });
    expect(span.spanContext().traceFlags).toBe(TraceFlags.RANDOM);
    span.end();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('hands a RECORD_ONLY span to the processor when it ends', () => {
    const { tracer, processor, ended } = recordingSetup(new FunctionSampler(() => RECORD_ONLY));
    tracer.startSpan('local-only').end();
    expect(processor.onStart).toHaveBeenCalledTimes(1);
    expect(ended.map((s) => s.name)).toEqual(['local-only']);
    expect(ended[0]!.traceFlags & TraceFlags.SAMPLED).toBe(0);
  });

  it('sets the W3C random and sampled flags on a new sampled root span', () => {
    const { tracer } = recordingSetup(new AlwaysOnSampler());
    const span = tracer.startSpan('root');
    expect(span.spanContext().traceFlags).toBe(TraceFlags.RANDOM | TraceFlags.SAMPLED);
    expect(span.spanContext().traceFlags).toBe(0x03);
  });

  it('sets the W3C random flag but not the sampled flag on a new unsampled root span', () => {
    const { tracer } = recordingSetup(new AlwaysOffSampler());
    expect(tracer.startSpan('root').spanContext().traceFlags).toBe(0x02);
  });

  it('passes the span name, kind and attributes to the sampler', () => {
    const fn = vi.fn<(params: SamplingParameters) => boolean>(() => true);
    const { tracer } = recordingSetup(new FunctionSampler(fn));
    const span = tracer.startSpan('GET /users', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET' },
    });
    expect(fn).toHaveBeenCalledWith({
      parent: undefined,
      traceId: span.spanContext().traceId,
      name: 'GET /users',
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': 'GET' },
    });
  });
});

function ctxOf(span: { spanContext(): SpanContext }) {
  const ctx = span.spanContext();
  return { traceId: ctx.traceId, spanId: ctx.spanId, flags: ctx.traceFlags };
}
