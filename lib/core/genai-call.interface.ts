/** What is known about a GenAI (LLM) call before it is sent. */
export interface GenAiRequest {
  /** `gen_ai.provider.name`: `openai`, `anthropic`, `aws.bedrock`, `gcp.gemini`, ... */
  provider: string;
  /** `gen_ai.request.model`. */
  model?: string;
  /** `gen_ai.operation.name`: `chat`, `text_completion`, `embeddings`, ... @default 'chat' */
  operation?: string;
  /**
   * Whether the answer is streamed. @default true for generator methods and
   * `traceGenAiStream`, false otherwise
   */
  streaming?: boolean;
}

/**
 * What a call reports as its answer arrives. Values are cumulative: when a stream reports
 * usage more than once, the latest value of each field wins.
 */
export interface GenAiUsage {
  responseModel?: string;
  responseId?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** @default inputTokens + outputTokens */
  totalTokens?: number;
  finishReasons?: readonly string[];
}

/** Reads usage from a result or a stream chunk; undefined when it carries none. */
export type GenAiUsageReader = (value: unknown) => GenAiUsage | undefined;

/** The `genAi` option of `@Traced()` and the request of `traceGenAi()` / `traceGenAiStream()`. */
export interface TracedGenAiOptions extends GenAiRequest {
  /**
   * Reads usage from the method's result, or from each chunk a generator yields (and its
   * return value). @default readGenAiUsage: OpenAI, Anthropic and Gemini responses and
   * stream chunks, and objects shaped like GenAiUsage (also under `usage`)
   */
  usage?: GenAiUsageReader;
}
