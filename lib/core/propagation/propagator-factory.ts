import { B3Propagator } from './b3-propagator.js';
import { CompositePropagator } from './composite-propagator.js';
import type { PropagationState, TextMapPropagator } from './text-map-propagator.js';
import { W3CBaggagePropagator } from './w3c-baggage-propagator.js';
import { W3CTraceContextPropagator } from './w3c-trace-context-propagator.js';

/** Reads and writes nothing: what `none` (OTEL_PROPAGATORS=none) selects. */
export class NoopPropagator implements TextMapPropagator {
  readonly fields: readonly string[] = [];

  inject(): void {}

  extract(state: PropagationState): PropagationState {
    return state;
  }
}

const FACTORIES: Readonly<Record<string, () => TextMapPropagator>> = {
  tracecontext: () => new W3CTraceContextPropagator(),
  baggage: () => new W3CBaggagePropagator(),
  b3: () => new B3Propagator({ injectEncoding: 'single' }),
  b3multi: () => new B3Propagator({ injectEncoding: 'multi' }),
};

/** The OpenTelemetry SDK default for OTEL_PROPAGATORS. */
export const DEFAULT_PROPAGATORS: readonly string[] = ['tracecontext', 'baggage'];
export const SUPPORTED_PROPAGATORS: readonly string[] = [...Object.keys(FACTORIES), 'none'];

/** Splits an OTEL_PROPAGATORS-style list: comma-separated, trimmed, lowercased, no empties. */
export function parsePropagatorList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
}

/**
 * Builds the propagator for a list of OTEL_PROPAGATORS names (`tracecontext`,
 * `baggage`, `b3`, `b3multi`, `none`); an empty list means `tracecontext,baggage`.
 * Throws on an unknown name so a typo fails at start-up, not silently per request.
 */
export function createPropagator(names: readonly string[]): TextMapPropagator {
  const wanted = names.map((n) => n.trim().toLowerCase()).filter((n) => n !== '');
  const list = wanted.length === 0 ? DEFAULT_PROPAGATORS : [...new Set(wanted)];
  const propagators: TextMapPropagator[] = [];
  for (const name of list) {
    if (name === 'none') continue;
    const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
    if (!factory) {
      throw new Error(
        `Invalid propagators (OTEL_PROPAGATORS) value "${name}": accepted values are ${SUPPORTED_PROPAGATORS.join(', ')}.`,
      );
    }
    propagators.push(factory());
  }
  if (propagators.length === 0) return new NoopPropagator();
  return propagators.length === 1 ? propagators[0]! : new CompositePropagator(propagators);
}
