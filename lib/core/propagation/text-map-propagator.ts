import type { SpanContext } from '../types.js';
import type { Baggage } from '../baggage.js';

/**
 * Anything that carries headers: a plain object, Node's IncomingHttpHeaders or
 * OutgoingHttpHeaders, a Map, a fetch Headers, gRPC Metadata, message metadata.
 */
export type Carrier = object;

export interface CarrierGetter<C = Carrier> {
  /** The value of `key` (a lowercase header name), or undefined. Lists are joined with ','. */
  get(carrier: C, key: string): string | undefined;
  keys(carrier: C): string[];
}

export interface CarrierSetter<C = Carrier> {
  set(carrier: C, key: string, value: string): void;
}

/** What propagators read from and write to a carrier. */
export interface PropagationState {
  /** The remote parent, when a valid one was found. */
  spanContext?: SpanContext;
  baggage?: Baggage;
}

export interface TextMapPropagator {
  /** Writes `state` into the carrier. Never throws. */
  inject(state: PropagationState, carrier: Carrier, setter?: CarrierSetter): void;
  /**
   * Reads the carrier into `state` (fills in what this propagator understands and
   * returns the same object). Malformed headers are ignored; never throws.
   */
  extract(state: PropagationState, carrier: Carrier, getter?: CarrierGetter): PropagationState;
  /** Header names this propagator reads and writes. */
  readonly fields: readonly string[];
}
