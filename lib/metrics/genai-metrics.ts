import { GEN_AI_ATTRIBUTES as GEN_AI } from '../core/genai-attributes.js';
import { SpanStatusCode, type ReadableSpan } from '../core/types.js';
import type {
  Counter,
  CounterFamily,
  Histogram,
  HistogramFamily,
  MetricsRegistry,
} from './metrics-registry.js';

/** OpenTelemetry's advice for `gen_ai.client.operation.duration`, in seconds. */
export const GEN_AI_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
]);

export const GEN_AI_METRIC_NAMES = {
  requests: 'gen_ai_client_requests_total',
  errors: 'gen_ai_client_request_errors_total',
  tokens: 'gen_ai_client_tokens_total',
  cost: 'gen_ai_client_cost_total',
  duration: 'gen_ai_client_operation_duration_seconds',
} as const;

/** `gen_ai.operation.name` of an agent invocation: not a model request of its own. */
const AGENT_OPERATION = 'invoke_agent';

interface GenAiSeries {
  readonly requests: Counter;
  readonly errors: Counter;
  readonly inputTokens: Counter;
  readonly outputTokens: Counter;
  readonly cost: Counter;
  readonly duration: Histogram;
}

/**
 * GenAI (LLM) requests, tokens by type, cost and duration, by provider, request model and
 * operation, read from the `gen_ai.*` attributes the GenAI helpers and `@Traced({ genAi })`
 * set. GenAI calls take seconds: building a key string per call costs nothing that matters.
 */
export class GenAiMetrics {
  private readonly requests: CounterFamily;
  private readonly errors: CounterFamily;
  private readonly tokens: CounterFamily;
  private readonly cost: CounterFamily;
  private readonly duration: HistogramFamily;
  private readonly cache = new Map<string, GenAiSeries>();

  constructor(
    registry: MetricsRegistry,
    private readonly cacheLimit: number,
  ) {
    const n = GEN_AI_METRIC_NAMES;
    const labels = ['gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_operation_name'];
    this.requests = registry.counter(n.requests, 'GenAI (LLM) requests.', labels);
    this.errors = registry.counter(n.errors, 'GenAI (LLM) requests that failed.', labels);
    this.tokens = registry.counter(
      n.tokens,
      'Tokens used by GenAI requests, by type (input or output).',
      [...labels, 'gen_ai_token_type'],
    );
    this.cost = registry.counter(
      n.cost,
      'Cost of GenAI requests, from the genAi.prices table (in its currency).',
      labels,
    );
    this.duration = registry.histogram(
      n.duration,
      'Duration of GenAI requests (to the end of a streamed answer), in seconds.',
      labels,
      GEN_AI_DURATION_BUCKETS,
    );
  }

  record(span: ReadableSpan): void {
    const attrs = span.attributes;
    // An agent's span (the AI SDK's root span, say) sums the model calls beneath it, which
    // are counted themselves: counting it too would count each request and token twice.
    if (attrs[GEN_AI.operationName] === AGENT_OPERATION) return;
    const provider = String(attrs[GEN_AI.providerName]);
    const model = stringOr(attrs[GEN_AI.requestModel], stringOr(attrs[GEN_AI.responseModel], ''));
    const operation = stringOr(attrs[GEN_AI.operationName], '');
    const key = `${provider}\u0000${model}\u0000${operation}`;
    let series = this.cache.get(key);
    if (series === undefined) {
      series = {
        requests: this.requests.labels(provider, model, operation),
        errors: this.errors.labels(provider, model, operation),
        inputTokens: this.tokens.labels(provider, model, operation, 'input'),
        outputTokens: this.tokens.labels(provider, model, operation, 'output'),
        cost: this.cost.labels(provider, model, operation),
        duration: this.duration.labels(provider, model, operation),
      };
      if (this.cache.size < this.cacheLimit) this.cache.set(key, series);
    }
    series.requests.inc();
    if (span.status.code === SpanStatusCode.ERROR) series.errors.inc();
    series.duration.observe(span.durationMs / 1000);
    const input = attrs[GEN_AI.inputTokens];
    if (typeof input === 'number') series.inputTokens.inc(input);
    const output = attrs[GEN_AI.outputTokens];
    if (typeof output === 'number') series.outputTokens.inc(output);
    const cost = attrs[GEN_AI.cost];
    if (typeof cost === 'number') series.cost.inc(cost);
  }
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
