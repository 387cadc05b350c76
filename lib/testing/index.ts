// The "./testing" entry: helpers for tests written with @nestjs/testing (a dev dependency).
export {
  createTracingTestingModule,
  overrideTracingExporters,
  type TracingTestingOptions,
} from './tracing-testing.module.js';
export {
  expectAttributes,
  expectParent,
  findSpan,
  findSpans,
  type ExpectedAttributes,
  type SpanMatch,
  type SpanQuery,
  type SpanSource,
} from './span-assertions.js';
export { waitForTrace, type FinishedTrace, type WaitForTraceOptions } from './wait-for-trace.js';
