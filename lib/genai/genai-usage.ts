import type { GenAiUsage } from '../core/genai-call.interface.js';

type Fields = Record<string, unknown>;

/**
 * The usage a provider's response or stream chunk reports, whatever its shape: OpenAI
 * chat completions and Responses (`usage.prompt_tokens` / `input_tokens`, `model`,
 * `choices[].finish_reason`), Anthropic messages and stream events (`usage.input_tokens`,
 * `stop_reason`, `message_start.message`, `message_delta.delta`), Gemini
 * (`usageMetadata`, `modelVersion`, `candidates[].finishReason`), and GenAiUsage itself,
 * flat or under `usage`. Undefined when the value carries none of these.
 */
export function readGenAiUsage(value: unknown): GenAiUsage | undefined {
  const v = fields(value);
  if (v === undefined) return undefined;
  const message = fields(v.message);
  const usage = fields(v.usage) ?? fields(v.usageMetadata) ?? fields(message?.usage) ?? v;
  const out: GenAiUsage = {};
  let found = false;
  const set = <K extends keyof GenAiUsage>(key: K, field: GenAiUsage[K]) => {
    if (field === undefined) return;
    out[key] = field;
    found = true;
  };
  set(
    'inputTokens',
    count(usage.input_tokens) ??
      count(usage.prompt_tokens) ??
      count(usage.inputTokens) ??
      count(usage.promptTokens) ??
      count(usage.promptTokenCount),
  );
  set(
    'outputTokens',
    count(usage.output_tokens) ??
      count(usage.completion_tokens) ??
      count(usage.outputTokens) ??
      count(usage.completionTokens) ??
      count(usage.candidatesTokenCount),
  );
  set(
    'totalTokens',
    count(usage.total_tokens) ?? count(usage.totalTokens) ?? count(usage.totalTokenCount),
  );
  set(
    'responseModel',
    text(v.responseModel) ?? text(v.model) ?? text(v.modelVersion) ?? text(message?.model),
  );
  set('responseId', text(v.responseId) ?? text(v.id) ?? text(message?.id));
  set('finishReasons', finishReasons(v));
  return found ? out : undefined;
}

function finishReasons(v: Fields): string[] | undefined {
  if (Array.isArray(v.finishReasons)) {
    const reasons = v.finishReasons.filter((r): r is string => typeof r === 'string');
    return reasons.length > 0 ? reasons : undefined;
  }
  const list = Array.isArray(v.choices)
    ? v.choices
    : Array.isArray(v.candidates)
      ? v.candidates
      : undefined;
  if (list !== undefined) {
    const reasons: string[] = [];
    for (const item of list) {
      const f = fields(item);
      const reason = text(f?.finish_reason) ?? text(f?.finishReason);
      if (reason !== undefined) reasons.push(reason);
    }
    if (reasons.length > 0) return reasons;
  }
  const single =
    text(v.stop_reason) ??
    text(fields(v.delta)?.stop_reason) ??
    text(v.finishReason) ??
    text(v.finish_reason);
  return single === undefined ? undefined : [single];
}

function fields(value: unknown): Fields | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Fields)
    : undefined;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
