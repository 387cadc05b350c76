/**
 * Span attributes of GenAI calls: the OpenTelemetry `gen_ai.*` semantic conventions, plus
 * three this library adds where the conventions have none (marked below).
 */
export const GEN_AI_ATTRIBUTES = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  /** Seconds from the request to the first chunk of a streamed answer. */
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  /** Not in the conventions: input plus output tokens, or what the provider reported. */
  totalTokens: 'gen_ai.usage.total_tokens',
  /** Not in the conventions: whether the answer was streamed. */
  streaming: 'gen_ai.request.stream',
  /** Not in the conventions: the call's cost from the `genAi.prices` table. */
  cost: 'gen_ai.usage.cost',
} as const;
