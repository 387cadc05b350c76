import type {
  AttributeValue,
  AttributesInput,
  Link,
  Span,
  SpanContext,
  SpanStatus,
  TimeInput,
} from './types.js';
import { INVALID_SPAN_ID, INVALID_TRACE_ID } from './id-generator.js';

/**
 * A span that keeps its ids (so it still propagates) but records nothing: used for
 * unsampled spans, remote parents and the disabled tracer.
 */
export class NonRecordingSpan implements Span {
  constructor(private readonly context: SpanContext) {}

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return false;
  }

  setAttribute(_key: string, _value: AttributeValue | undefined | null): this {
    return this;
  }

  setAttributes(_attributes: AttributesInput): this {
    return this;
  }

  addEvent(_name: string, _attributes?: AttributesInput, _time?: TimeInput): this {
    return this;
  }

  addLink(_link: Link): this {
    return this;
  }

  recordException(_error: unknown, _time?: TimeInput): this {
    return this;
  }

  setStatus(_status: SpanStatus): this {
    return this;
  }

  updateName(_name: string): this {
    return this;
  }

  end(_endTime?: TimeInput): void {}
}

export const INVALID_SPAN_CONTEXT: SpanContext = Object.freeze({
  traceId: INVALID_TRACE_ID,
  spanId: INVALID_SPAN_ID,
  traceFlags: 0,
});

/** The span handed out when tracing is disabled: invalid ids, never propagated. */
export const NOOP_SPAN: Span = new NonRecordingSpan(INVALID_SPAN_CONTEXT);
