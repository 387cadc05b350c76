import { Inject, Injectable } from '@nestjs/common';
import { Baggage } from '../core/baggage.js';
import { defaultGetter, defaultSetter } from '../core/propagation/carrier.js';
import type {
  Carrier,
  CarrierGetter,
  CarrierSetter,
} from '../core/propagation/text-map-propagator.js';
import type { SpanExporter } from '../core/span-exporter.js';
import type { ExporterStats } from '../core/exporter-stats.js';
import { MultiSpanProcessor } from '../core/multi-span-processor.js';
import { activeContext, runWithContext, type TraceContext } from '../core/trace-context.js';
import { Tracer, type SpanOptions } from '../core/tracer.js';
import { SpanKind, type AttributesInput, type Span } from '../core/types.js';
import { NOOP_SPAN, NonRecordingSpan as RemoteParent } from '../core/non-recording-span.js';
import { TRACING_EXPORTERS } from '../tracing.constants.js';
import { TRACING_CONFIG } from '../tracing.internal-constants.js';
import { readCorrelationId } from '../server/http-request.js';
import type { ResolvedTracingConfig } from '../config/tracing-config.js';
import { runJob, type RunContext, type RunOptions } from '../logging/run-context.js';

/** Everything a service needs to read and write the current trace. */
@Injectable()
export class TracingService {
  constructor(
    readonly tracer: Tracer,
    @Inject(TRACING_CONFIG) private readonly config: ResolvedTracingConfig,
    @Inject(TRACING_EXPORTERS) private readonly exporters: SpanExporter[],
  ) {}

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** The active span, or a no-op span outside any. */
  getCurrentSpan(): Span {
    return activeContext().span ?? NOOP_SPAN;
  }

  /** The active trace id, or undefined outside any trace. */
  getTraceId(): string | undefined {
    const span = activeContext().span;
    return span && span !== NOOP_SPAN ? span.spanContext().traceId : undefined;
  }

  getSpanId(): string | undefined {
    const span = activeContext().span;
    return span && span !== NOOP_SPAN ? span.spanContext().spanId : undefined;
  }

  getCorrelationId(): string | undefined {
    return activeContext().correlationId;
  }

  /** Starts a span, child of the active one; the caller ends it. */
  startSpan(name: string, options?: SpanOptions): Span {
    return this.tracer.startSpan(name, options, this.ownContext());
  }

  /** Starts a span and runs `fn` with it active; the caller ends the span. */
  startActiveSpan<R>(name: string, fn: (span: Span) => R, options?: SpanOptions): R {
    return runWithContext(this.ownContext(), () => this.tracer.startActiveSpan(name, fn, options));
  }

  /** Runs `fn` in a new active span that ends when `fn` returns or its promise settles. */
  withSpan<R>(name: string, fn: (span: Span) => R, options?: SpanOptions): R {
    return runWithContext(this.ownContext(), () => this.tracer.withSpan(name, fn, options));
  }

  setAttributes(attributes: AttributesInput): void {
    this.getCurrentSpan().setAttributes(attributes);
  }

  addEvent(name: string, attributes?: AttributesInput): void {
    this.getCurrentSpan().addEvent(name, attributes);
  }

  /**
   * Records an error on the active span as an exception event, with the error status
   * when it counts as an error (not a 4xx HttpException, unless `errors.countAsError` says so).
   */
  recordException(error: unknown): void {
    this.tracer.errorPolicy.record(this.getCurrentSpan(), error);
  }

  getBaggage(key: string): string | undefined {
    return activeContext().baggage?.get(key);
  }

  getAllBaggage(): Record<string, string> {
    return activeContext().baggage?.toObject() ?? {};
  }

  /**
   * Sets a baggage entry for the rest of the current request (it travels on outgoing
   * calls). Outside a request context there is nowhere to keep it: returns false.
   */
  setBaggage(key: string, value: string): boolean {
    const baggage = activeContext().baggage;
    if (baggage === undefined) return false;
    baggage.set(key, value);
    return true;
  }

  /**
   * Writes the active trace context, baggage and correlation id into `carrier` (plain
   * object, Headers, Map, message metadata), never overwriting a key already there.
   */
  inject<C extends Carrier>(carrier: C, setter: CarrierSetter = defaultSetter): C {
    if (!this.config.enabled) return carrier;
    const ctx = activeContext();
    const keep: CarrierSetter = {
      set: (c, key, value) => {
        if (defaultGetter.get(c, key) === undefined) setter.set(c, key, value);
      },
    };
    const span = ctx.span;
    this.config.propagator.inject(
      {
        spanContext: span && span !== NOOP_SPAN ? span.spanContext() : undefined,
        baggage: ctx.baggage,
      },
      carrier,
      keep,
    );
    const header = this.config.correlationRequestHeaders[0];
    if (ctx.correlationId !== undefined && header !== undefined) {
      keep.set(carrier, header, ctx.correlationId);
    }
    return carrier;
  }

  /**
   * Reads a carrier into a context that `runInContext` can enter: for work that arrives
   * by a path the interceptor does not see (a queue consumer, a raw socket).
   */
  extract(carrier: Carrier, getter: CarrierGetter = defaultGetter): TraceContext {
    const state = this.config.propagator.extract({}, carrier, getter);
    const headers: Record<string, string | undefined> = {};
    for (const name of this.config.correlationRequestHeaders)
      headers[name] = getter.get(carrier, name);
    const remote = state.spanContext;
    return this.tracer.createContext(
      remote ? new RemoteParent(remote) : undefined,
      readCorrelationId(headers, this.config.correlationRequestHeaders),
      state.baggage ?? new Baggage(),
    );
  }

  /** Runs `fn` inside `context` (from `extract`), opening a span of `kind` named `name`. */
  runInContext<R>(
    context: TraceContext,
    name: string,
    fn: (span: Span) => R,
    kind: SpanKind = SpanKind.CONSUMER,
  ): R {
    return runWithContext(context, () => this.tracer.withSpan(name, fn, { kind }));
  }

  /** Runs `fn` as a run of background work with this app's tracer: see `runJob`. */
  runJob<R>(options: RunOptions, fn: (run: RunContext) => R): R {
    return runJob({ tracer: this.tracer, ...options }, fn);
  }

  /**
   * A hook for `ClientProxy#setOnDispatchHook` (Nest 12) that writes the active trace
   * context into every outgoing packet's metadata, where the receiving microservice's
   * interceptor reads it.
   */
  createDispatchHook(): (packet: { metadata?: Record<string, string> }) => void {
    return (packet) => {
      packet.metadata = this.inject({ ...packet.metadata });
    };
  }

  /** The configured exporter instances (e.g. to find one by class). */
  getExporters(): readonly SpanExporter[] {
    return this.exporters;
  }

  /**
   * Self-telemetry of each exporter pipeline: spans exported, dropped (queue full),
   * failed, retries, queue length and the last error.
   */
  getExporterStats(): ExporterStats[] {
    const processor = this.tracer.processor;
    return processor instanceof MultiSpanProcessor ? processor.allStats() : [];
  }

  /** Exports everything ended so far. */
  forceFlush(): Promise<void> {
    return this.tracer.processor.forceFlush();
  }

  private ownContext(): TraceContext {
    const ctx = activeContext();
    return ctx.tracer === this.tracer
      ? ctx
      : this.tracer.createContext(ctx.span, ctx.correlationId, ctx.baggage);
  }
}
