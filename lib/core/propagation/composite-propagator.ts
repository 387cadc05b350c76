import { withB3DebugOf } from './b3-propagator.js';
import { defaultGetter, defaultSetter } from './carrier.js';
import type {
  Carrier,
  CarrierGetter,
  CarrierSetter,
  PropagationState,
  TextMapPropagator,
} from './text-map-propagator.js';

/**
 * Runs several propagators as one. Inject writes every format; extract reads them in
 * order, and the first valid trace context wins (a later format never replaces it,
 * only adds a B3 debug decision for the same span), while baggage from all of them is merged.
 */
export class CompositePropagator implements TextMapPropagator {
  readonly fields: readonly string[];
  private readonly propagators: readonly TextMapPropagator[];

  constructor(propagators: readonly TextMapPropagator[]) {
    this.propagators = [...propagators];
    this.fields = [...new Set(this.propagators.flatMap((p) => p.fields))];
  }

  inject(state: PropagationState, carrier: Carrier, setter: CarrierSetter = defaultSetter): void {
    for (const propagator of this.propagators) {
      try {
        propagator.inject(state, carrier, setter);
      } catch {
        // One broken propagator must not stop the others.
      }
    }
  }

  extract(
    state: PropagationState,
    carrier: Carrier,
    getter: CarrierGetter = defaultGetter,
  ): PropagationState {
    for (const propagator of this.propagators) {
      // Restoring the winner after each call keeps the shared state object (no copies).
      const winner = state.spanContext;
      try {
        propagator.extract(state, carrier, getter);
      } catch {
        // One broken propagator must not stop the others.
      }
      if (winner !== undefined) state.spanContext = withB3DebugOf(winner, state.spanContext);
    }
    return state;
  }
}
