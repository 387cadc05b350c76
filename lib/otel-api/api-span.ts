import type {
  Attributes as ApiAttributes,
  AttributeValue as ApiAttributeValue,
  Exception,
  Link as ApiLink,
  Span as ApiSpan,
  SpanContext as ApiSpanContext,
  SpanStatus as ApiSpanStatus,
  TimeInput as ApiTimeInput,
} from '@opentelemetry/api';
import type { AttributesInput, AttributeValue, Link, Span, SpanContext } from '../core/types.js';
import { toTime } from './api-time.js';

// One handle per span, so `trace.getActiveSpan() === span` holds across calls.
const handles = new WeakMap<Span, BridgedSpan>();

/** The OpenTelemetry API's view of one of our spans: every call lands on our span. */
export class BridgedSpan implements ApiSpan {
  private constructor(readonly span: Span) {}

  static of(span: Span): BridgedSpan {
    let handle = handles.get(span);
    if (handle === undefined) {
      handle = new BridgedSpan(span);
      handles.set(span, handle);
    }
    return handle;
  }

  spanContext(): ApiSpanContext {
    return this.span.spanContext() as ApiSpanContext;
  }

  setAttribute(key: string, value: ApiAttributeValue): this {
    this.span.setAttribute(key, value as AttributeValue | undefined);
    if (key === GEN_AI_SYSTEM)
      this.span.setAttribute(GEN_AI_PROVIDER_NAME, value as AttributeValue);
    return this;
  }

  setAttributes(attributes: ApiAttributes): this {
    this.span.setAttributes(withProviderName(attributes) as AttributesInput);
    return this;
  }

  addEvent(
    name: string,
    attributesOrStartTime?: ApiAttributes | ApiTimeInput,
    startTime?: ApiTimeInput,
  ): this {
    if (isTime(attributesOrStartTime)) {
      this.span.addEvent(name, undefined, toTime(attributesOrStartTime));
    } else {
      this.span.addEvent(
        name,
        attributesOrStartTime as AttributesInput | undefined,
        toTime(startTime),
      );
    }
    return this;
  }

  addLink(link: ApiLink): this {
    this.span.addLink(toLink(link));
    return this;
  }

  addLinks(links: ApiLink[]): this {
    for (const link of links) this.span.addLink(toLink(link));
    return this;
  }

  setStatus(status: ApiSpanStatus): this {
    this.span.setStatus({ code: status.code as 0 | 1 | 2, message: status.message });
    return this;
  }

  updateName(name: string): this {
    this.span.updateName(name);
    return this;
  }

  end(endTime?: ApiTimeInput): void {
    this.span.end(toTime(endTime));
  }

  isRecording(): boolean {
    return this.span.isRecording();
  }

  recordException(exception: Exception, time?: ApiTimeInput): void {
    this.span.recordException(exception, toTime(time));
  }
}

// `gen_ai.system` is what older GenAI instrumentations write (the AI SDK's
// LegacyOpenTelemetry, OpenLLMetry, ...): the conventions renamed it `gen_ai.provider.name`,
// which our GenAI metrics read. Only for API spans: our own helpers write the new name.
const GEN_AI_SYSTEM = 'gen_ai.system';
const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';

/** The attributes, plus `gen_ai.provider.name` from `gen_ai.system` unless they name one. */
export function withProviderName<T extends ApiAttributes | undefined>(attributes: T): T {
  if (attributes === undefined || attributes === null) return attributes;
  const system = attributes[GEN_AI_SYSTEM];
  if (system === undefined || attributes[GEN_AI_PROVIDER_NAME] !== undefined) return attributes;
  return { ...attributes, [GEN_AI_PROVIDER_NAME]: system };
}

function isTime(value: unknown): value is ApiTimeInput {
  return typeof value === 'number' || value instanceof Date || Array.isArray(value);
}

export function toLink(link: ApiLink): Link {
  return {
    context: link.context as SpanContext,
    attributes: link.attributes as Link['attributes'],
  };
}
