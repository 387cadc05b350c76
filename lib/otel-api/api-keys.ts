import type { Baggage as ApiBaggage } from '@opentelemetry/api';
import { Baggage } from '../core/baggage.js';

// The API's own keys: `createContextKey` is `Symbol.for(description)`, the same in every copy.
export const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
export const BAGGAGE_KEY = Symbol.for('OpenTelemetry Baggage Key');
export const SUPPRESS_TRACING_KEY = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Makes the API's baggage from ours, and ours from the API's (for `propagation.getBaggage`). */
export interface BaggageCodec {
  toApi(baggage: Baggage): ApiBaggage;
}

/** Our baggage from the API's (undefined when there is none). */
export function fromApiBaggage(value: unknown): Baggage | undefined {
  const api = value as Partial<ApiBaggage> | undefined;
  if (api === undefined || api === null || typeof api.getAllEntries !== 'function') {
    return undefined;
  }
  return new Baggage(
    api.getAllEntries().map(([key, entry]) => {
      const metadata = entry.metadata?.toString();
      return [key, metadata ? { value: entry.value, metadata } : { value: entry.value }] as const;
    }),
  );
}
