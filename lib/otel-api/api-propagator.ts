import type {
  Context as ApiContext,
  TextMapGetter,
  TextMapPropagator as ApiPropagator,
  TextMapSetter,
} from '@opentelemetry/api';
import { NonRecordingSpan } from '../core/non-recording-span.js';
import type { TextMapPropagator } from '../core/propagation/text-map-propagator.js';
import type { SpanContext } from '../core/types.js';
import {
  BAGGAGE_KEY,
  fromApiBaggage,
  SPAN_KEY,
  SUPPRESS_TRACING_KEY,
  type BaggageCodec,
} from './api-keys.js';
import { BridgedSpan } from './api-span.js';

/**
 * The API's propagator, backed by the app's (W3C trace context and baggage, B3, ...): what
 * `propagation.inject` writes is what our outgoing calls write, and `extract` reads a remote
 * parent the API and our spans both continue.
 */
export class BridgePropagator implements ApiPropagator {
  constructor(
    private readonly propagator: () => TextMapPropagator | undefined,
    private readonly baggage: BaggageCodec,
  ) {}

  inject(context: ApiContext, carrier: unknown, setter: TextMapSetter): void {
    if (carrier === null || typeof carrier !== 'object') return;
    // As OpenTelemetry's own propagators: suppressed work (an exporter's request) carries nothing.
    if (context.getValue(SUPPRESS_TRACING_KEY) === true) return;
    const span = context.getValue(SPAN_KEY) as { spanContext?: () => SpanContext } | undefined;
    const propagator = this.propagator();
    if (propagator === undefined) return;
    propagator.inject(
      {
        spanContext: typeof span?.spanContext === 'function' ? span.spanContext() : undefined,
        baggage: fromApiBaggage(context.getValue(BAGGAGE_KEY)),
      },
      carrier,
      { set: (c, key, value) => setter.set(c, key, value) },
    );
  }

  extract(context: ApiContext, carrier: unknown, getter: TextMapGetter): ApiContext {
    if (carrier === null || typeof carrier !== 'object') return context;
    const propagator = this.propagator();
    if (propagator === undefined) return context;
    const state = propagator.extract({}, carrier, {
      get: (c, key) => {
        const value = getter.get(c, key);
        return Array.isArray(value) ? value.join(',') : value;
      },
      keys: (c) => getter.keys(c),
    });
    let next = context;
    if (state.spanContext !== undefined) {
      next = next.setValue(
        SPAN_KEY,
        BridgedSpan.of(new NonRecordingSpan({ ...state.spanContext, isRemote: true })),
      );
    }
    if (state.baggage !== undefined && state.baggage.size > 0) {
      next = next.setValue(BAGGAGE_KEY, this.baggage.toApi(state.baggage));
    }
    return next;
  }

  fields(): string[] {
    return [...(this.propagator()?.fields ?? [])];
  }
}
