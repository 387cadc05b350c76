import { ROOT_CONTEXT, type TraceContext } from '../core/trace-context.js';
import type { SpanOptions, Tracer } from '../core/tracer.js';
import type { Span } from '../core/types.js';
import type { SecretArgumentPositions } from './parameter-names.js';
import { safeSerialize, serializeArguments } from './safe-serialize.js';

/** What a traced method's calls share, decided once when the method is wrapped. */
export interface MethodPlan {
  readonly name: string;
  /** Built once per method so a call allocates no options object. */
  readonly spanOptions: SpanOptions;
  readonly recordArguments: boolean;
  /** Positions redacted whole by their parameter's name, read once from the source. */
  readonly secretArguments: SecretArgumentPositions | undefined;
  readonly recordResult: boolean;
}

/** Opens the span of one call (or one subscription, or one iteration). */
export function startMethodSpan(
  tracer: Tracer,
  ctx: TraceContext | undefined,
  plan: MethodPlan,
  args: IArguments | unknown[],
): Span {
  // Outside any context, ROOT_CONTEXT says what a fresh one would: no span, not suppressed.
  const span = tracer.startSpan(plan.name, plan.spanOptions, ctx ?? ROOT_CONTEXT);
  if (plan.recordArguments && span.isRecording()) {
    span.setAttribute('code.function.arguments', serializeArguments(args, plan.secretArguments));
  }
  return span;
}

export function childContext(
  ctx: TraceContext | undefined,
  span: Span,
  tracer: Tracer,
): TraceContext {
  return ctx ? ctx.withSpan(span) : tracer.createContext(span, undefined, undefined);
}

export function recordResult(span: Span, value: unknown): void {
  if (span.isRecording()) span.setAttribute('code.function.result', safeSerialize(value));
}
