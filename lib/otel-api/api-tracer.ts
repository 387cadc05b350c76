import type {
  Context as ApiContext,
  Span as ApiSpan,
  SpanOptions as ApiSpanOptions,
  Tracer as ApiTracer,
  TracerProvider,
} from '@opentelemetry/api';
import { NOOP_SPAN as NO_SPAN, NonRecordingSpan } from '../core/non-recording-span.js';
import type { Tracer } from '../core/tracer.js';
import type { AttributesInput, SpanKind } from '../core/types.js';
import type { BridgeContextManager } from './api-context.js';
import { SPAN_KEY } from './api-keys.js';
import { BridgedSpan, toLink, withProviderName } from './api-span.js';
import { toTime } from './api-time.js';

/**
 * The API's tracer, starting our spans: same sampler, limits, processors and exporters as
 * `@Traced()` and the server span (under our instrumentation scope: one tracer per app).
 */
export class BridgeTracer implements ApiTracer {
  constructor(
    private readonly tracer: () => Tracer | undefined,
    private readonly contexts: BridgeContextManager,
  ) {}

  startSpan(name: string, options: ApiSpanOptions = {}, context?: ApiContext): ApiSpan {
    const parent = this.contexts.toOurs(context ?? this.contexts.active());
    const tracer = this.tracer();
    const span = tracer
      ? tracer.startSpan(
          name,
          {
            kind: options.kind as SpanKind | undefined,
            attributes: withProviderName(options.attributes) as AttributesInput | undefined,
            links: options.links?.map(toLink),
            startTime: toTime(options.startTime),
            root: options.root,
          },
          parent,
        )
      : undefined;
    // No app traces (all closed): the API's answer, a non-recording span that carries the
    // parent's ids on (never the parent itself, which the caller would end).
    if (span !== undefined) return BridgedSpan.of(span);
    const ids = parent.span?.spanContext();
    return BridgedSpan.of(ids === undefined ? NO_SPAN : new NonRecordingSpan(ids));
  }

  startActiveSpan<F extends (span: ApiSpan) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(
    name: string,
    options: ApiSpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(
    name: string,
    options: ApiSpanOptions,
    context: ApiContext,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: ApiSpan) => unknown>(
    name: string,
    a?: ApiSpanOptions | F,
    b?: ApiContext | F,
    c?: F,
  ): ReturnType<F> | undefined {
    let options: ApiSpanOptions | undefined;
    let context: ApiContext | undefined;
    let fn: F | undefined;
    if (typeof a === 'function') fn = a;
    else if (typeof b === 'function') {
      options = a;
      fn = b;
    } else {
      options = a;
      context = b;
      fn = c;
    }
    if (typeof fn !== 'function') return undefined;
    const parent = context ?? this.contexts.active();
    const span = this.startSpan(name, options, parent);
    const run = fn as (span: ApiSpan) => ReturnType<F>;
    return this.contexts.with(parent.setValue(SPAN_KEY, span), run, undefined, span);
  }
}

/** The API's tracer provider: one tracer per (name, version), all on the app's tracer. */
export class BridgeTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, BridgeTracer>();

  constructor(
    private readonly tracer: () => Tracer | undefined,
    private readonly contexts: BridgeContextManager,
  ) {}

  getTracer(name: string, version?: string): ApiTracer {
    const key = `${name}@${version ?? ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      tracer = new BridgeTracer(this.tracer, this.contexts);
      this.tracers.set(key, tracer);
    }
    return tracer;
  }
}
