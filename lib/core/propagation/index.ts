export type {
  Carrier,
  CarrierGetter,
  CarrierSetter,
  PropagationState,
  TextMapPropagator,
} from './text-map-propagator.js';
export { defaultGetter, defaultSetter, incomingHeadersGetter } from './carrier.js';
export {
  W3CTraceContextPropagator,
  parseTraceparent,
  formatTraceparent,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
} from './w3c-trace-context-propagator.js';
export {
  W3CBaggagePropagator,
  parseBaggageHeader,
  serializeBaggage,
  BAGGAGE_HEADER,
  BAGGAGE_MAX_MEMBERS,
  BAGGAGE_MAX_BYTES,
} from './w3c-baggage-propagator.js';
export {
  B3Propagator,
  B3_HEADER,
  B3_TRACE_ID_HEADER,
  B3_SPAN_ID_HEADER,
  B3_SAMPLED_HEADER,
  B3_FLAGS_HEADER,
  B3_PARENT_SPAN_ID_HEADER,
  type B3InjectEncoding,
  type B3PropagatorOptions,
} from './b3-propagator.js';
export { CompositePropagator } from './composite-propagator.js';
export {
  createPropagator,
  parsePropagatorList,
  NoopPropagator,
  DEFAULT_PROPAGATORS,
  SUPPORTED_PROPAGATORS,
} from './propagator-factory.js';
