import type { Baggage } from './baggage.js';
import { DEFAULT_ERROR_POLICY, recordError, type ErrorPolicy } from './error-policy.js';
import { RandomIdGenerator, type IdGenerator } from './id-generator.js';
import { NOOP_SPAN, NonRecordingSpan } from './non-recording-span.js';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  type Sampler,
} from './samplers.js';
import { RecordingSpan, type SpanOwner } from './span.js';
import type { SpanProcessor } from './span-processor.js';
import { activeContext, runWithContext, TraceContext } from './trace-context.js';
import { toHrTime } from './clock.js';
import {
  DEFAULT_SPAN_LIMITS,
  SpanKind,
  TraceFlags,
  type AttributesInput,
  type InstrumentationScope,
  type Link,
  type Resource,
  type Span,
  type SpanContext,
  type SpanLimits,
  type TimeInput,
} from './types.js';

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: AttributesInput;
  links?: Link[];
  startTime?: TimeInput;
  /** Start a new trace even when a span is active. */
  root?: boolean;
  /** An explicit parent instead of the active span. */
  parent?: SpanContext;
}

export interface TracerConfig {
  processor: SpanProcessor;
  resource: Resource;
  scope?: InstrumentationScope;
  sampler?: Sampler;
  limits?: Partial<SpanLimits>;
  idGenerator?: IdGenerator;
  /** false makes every span the shared no-op span and skips context work. */
  enabled?: boolean;
  /**
   * Record spans the sampler drops (they are still not exported), so processors that
   * derive metrics from spans count every call. Costs a recorded span per call.
   */
  recordUnsampled?: boolean;
  /** What a thrown value must be to fail a span. @default the OpenTelemetry conventions */
  errorPolicy?: ErrorPolicy;
}

declare module './trace-context.js' {
  // What a context's `tracer` is (declared there without an import, to keep one direction).
  interface ContextTracer extends Tracer {}
}

const DEFAULT_SCOPE: InstrumentationScope = { name: 'nestjs-tracing', version: '0.1.0' };

/** Starts spans: one tracer per app, holding its sampler, processor, resource and limits. */
export class Tracer {
  readonly enabled: boolean;
  readonly sampler: Sampler;
  readonly idGenerator: IdGenerator;
  readonly recordUnsampled: boolean;
  /** Decides which thrown values and response statuses fail a span. */
  readonly errorPolicy: ErrorPolicy;
  private readonly owner: SpanOwner;
  private readonly dropsUnsampledChildren: boolean;

  constructor(config: TracerConfig) {
    this.enabled = config.enabled !== false;
    this.sampler = config.sampler ?? new ParentBasedSampler(new AlwaysOnSampler());
    this.idGenerator = config.idGenerator ?? new RandomIdGenerator();
    this.recordUnsampled = config.recordUnsampled === true;
    this.errorPolicy = config.errorPolicy ?? DEFAULT_ERROR_POLICY;
    this.dropsUnsampledChildren =
      !this.recordUnsampled &&
      (this.sampler instanceof AlwaysOffSampler ||
        (this.sampler instanceof ParentBasedSampler && this.sampler.dropsChildrenOfUnsampled));
    this.owner = {
      processor: config.processor,
      resource: config.resource,
      scope: config.scope ?? DEFAULT_SCOPE,
      limits: { ...DEFAULT_SPAN_LIMITS, ...config.limits },
    };
  }

  get processor(): SpanProcessor {
    return this.owner.processor;
  }

  get resource(): Resource {
    return this.owner.resource;
  }

  /**
   * Whether a span started under `parent` would certainly be dropped and recorded by no
   * one (the parent was not sampled and the sampler follows it): callers on hot paths
   * then skip the span and its context, and the trace goes on with the parent's ids.
   */
  dropsChildOf(parent: Span): boolean {
    return (
      this.dropsUnsampledChildren && (parent.spanContext().traceFlags & TraceFlags.SAMPLED) === 0
    );
  }

  /**
   * Starts a span, child of `options.parent`, else of the span active in `context`
   * (the current one by default). It is not made active: see `startActiveSpan`.
   */
  startSpan(name: string, options?: SpanOptions, context: TraceContext = activeContext()): Span {
    if (!this.enabled || context.suppressed) return NOOP_SPAN;
    const parent = options?.root ? undefined : (options?.parent ?? parentOf(context.span));
    const kind = options?.kind ?? SpanKind.INTERNAL;
    let traceId: string;
    let traceFlags: number;
    if (parent === undefined) {
      traceId = this.idGenerator.generateTraceId();
      traceFlags = TraceFlags.RANDOM;
    } else {
      traceId = parent.traceId;
      traceFlags = parent.traceFlags & TraceFlags.RANDOM;
    }
    const spanId = this.idGenerator.generateSpanId();
    const attributes = options?.attributes;
    const decision = this.sampler.shouldSample(parent, traceId, name, kind, attributes);
    if (decision === SamplingDecision.DROP && !this.recordUnsampled) {
      return new NonRecordingSpan({ traceId, spanId, traceFlags, traceState: parent?.traceState });
    }
    if (decision === SamplingDecision.RECORD_AND_SAMPLE) traceFlags |= TraceFlags.SAMPLED;
    const startTime = options?.startTime === undefined ? undefined : toHrTime(options.startTime);
    const span = new RecordingSpan(
      this.owner,
      name,
      kind,
      traceId,
      spanId,
      traceFlags,
      parent?.traceState,
      parent,
      startTime,
      attributes,
      options?.links,
    );
    if (context.fields !== undefined) span.setAttributes(context.fields);
    this.owner.processor.onStart?.(span);
    return span;
  }

  /**
   * Starts a span, runs `fn` with it active, and ends it when `fn` returns or its
   * promise settles, recording a thrown error. Returns what `fn` returns.
   */
  withSpan<R>(name: string, fn: (span: Span) => R, options?: SpanOptions): R {
    const context = activeContext();
    const span = this.startSpan(name, options, context);
    if (span === NOOP_SPAN) return fn(span);
    return runWithContext(context.withSpan(span), runAndEnd, span, fn, this.errorPolicy);
  }

  /** Starts a span and runs `fn` with it active; the caller ends the span. */
  startActiveSpan<R>(name: string, fn: (span: Span) => R, options?: SpanOptions): R {
    const context = activeContext();
    const span = this.startSpan(name, options, context);
    if (span === NOOP_SPAN) return fn(span);
    return runWithContext(context.withSpan(span), fn, span);
  }

  /** A root context for a unit of work (request, message, job) owned by this tracer. */
  createContext(
    span: Span | undefined,
    correlationId: string | undefined,
    baggage: Baggage | undefined,
  ): TraceContext {
    return new TraceContext(span, correlationId, baggage, this, false);
  }
}

function parentOf(span: Span | undefined): SpanContext | undefined {
  if (span === undefined || span === NOOP_SPAN) return undefined;
  return span.spanContext();
}

/**
 * Runs `fn` with `span` and ends the span when `fn` returns or its promise settles,
 * recording a thrown error or a rejection. Returns what `fn` returns.
 */
export function runAndEnd<R>(
  span: Span,
  fn: (span: Span) => R,
  errors: ErrorPolicy = DEFAULT_ERROR_POLICY,
): R {
  let result: R;
  try {
    result = fn(span);
  } catch (error) {
    errors.record(span, error);
    span.end();
    throw error;
  }
  if (isPromiseLike(result)) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        errors.record(span, error);
        span.end();
        throw error;
      },
    ) as R;
  }
  span.end();
  return result;
}

export { recordError };

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
