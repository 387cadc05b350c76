import type { Attributes, SpanKind } from '../core/types.js';
import type { TracedGenAiOptions } from '../core/genai-call.interface.js';

export interface TracedOptions {
  /** Span name. @default `ClassName.methodName` */
  name?: string;
  /** @default SpanKind.INTERNAL */
  kind?: SpanKind;
  /** Attributes set on every span of this method. */
  attributes?: Attributes;
  /**
   * Record the arguments as a JSON array in `code.function.arguments`, capped, with secrets
   * redacted by parameter name (`password`, `...tokens`) and by key at any depth. @default false
   */
  recordArguments?: boolean;
  /** Record the return value (redacted, capped) as `code.function.result`. @default false */
  recordResult?: boolean;
  /**
   * Record the call as a GenAI (LLM) call: `gen_ai.*` attributes, tokens read from the
   * result (or a generator's chunks, once the stream ends) and cost. @default undefined
   */
  genAi?: TracedGenAiOptions;
}
