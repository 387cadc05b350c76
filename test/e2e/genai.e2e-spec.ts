import {
  Body,
  Controller,
  Injectable,
  Module,
  Post,
  StreamableFile,
  type INestApplication,
} from '@nestjs/common';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  type ReadableSpan,
} from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';
import { parsePrometheusText, sampleValue } from '../unit/metrics/prometheus-text-parser.js';

// The fake LLM the sample app shows: local and deterministic, shaped like OpenAI's chat
// completions API (a completion with `usage`, or chunks ending with a usage chunk).

const ANSWER = 'A trace follows one request through every service it touches.';
const MODEL = 'fake-llm-mini';
const RESPONSE_MODEL = 'fake-llm-mini-2025-01-01';

function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

interface Completion {
  id: string;
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface CompletionChunk {
  model: string;
  choices: { delta: { content: string }; finish_reason: string | null }[];
  usage?: Completion['usage'];
}

@Injectable()
class FakeLlmService {
  @Traced({ genAi: { provider: 'fake-llm', model: MODEL } })
  async complete(prompt: string): Promise<Completion> {
    await sleep(10);
    const input = countTokens(prompt);
    const output = countTokens(ANSWER);
    return {
      id: `cmpl-${input}`,
      model: RESPONSE_MODEL,
      choices: [{ message: { content: ANSWER }, finish_reason: 'stop' }],
      usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
    };
  }

  /** One chunk per word, then a usage chunk, as OpenAI streams with include_usage. */
  @Traced({ genAi: { provider: 'fake-llm', model: MODEL } })
  async *stream(prompt: string): AsyncGenerator<CompletionChunk> {
    const words = ANSWER.split(' ');
    for (const [i, word] of words.entries()) {
      await sleep(5);
      yield {
        model: RESPONSE_MODEL,
        choices: [
          {
            delta: { content: i === 0 ? word : ` ${word}` },
            finish_reason: i === words.length - 1 ? 'stop' : null,
          },
        ],
      };
    }
    const input = countTokens(prompt);
    yield {
      model: RESPONSE_MODEL,
      choices: [],
      usage: {
        prompt_tokens: input,
        completion_tokens: words.length,
        total_tokens: input + words.length,
      },
    };
  }
}

@Controller('llm')
class LlmController {
  constructor(private readonly llm: FakeLlmService) {}

  @Post('chat')
  async chat(@Body() body: { prompt?: string }) {
    const completion = await this.llm.complete(body.prompt ?? '');
    return { text: completion.choices[0]!.message.content, usage: completion.usage };
  }

  /** Streams the answer as plain text; the LLM span ends with the stream. */
  @Post('chat/stream')
  stream(@Body() body: { prompt?: string }): StreamableFile {
    const chunks = this.llm.stream(body.prompt ?? '');
    async function* text() {
      for await (const chunk of chunks) {
        const content = chunk.choices[0]?.delta.content;
        if (content) yield content;
      }
    }
    return new StreamableFile(Readable.from(text(), { objectMode: false }), {
      type: 'text/plain; charset=utf-8',
    });
  }
}

@Module({
  imports: [
    TracingModule.forRoot({
      serviceName: 'genai',
      exporters: [{ type: 'memory' }],
      metrics: true,
      genAi: { prices: { [MODEL]: { inputPerMillion: 150, outputPerMillion: 600 } } },
    }),
  ],
  controllers: [LlmController],
  providers: [FakeLlmService],
})
class GenAiAppModule {}

const PROMPT = 'What is a trace?';
const INPUT = countTokens(PROMPT);
const OUTPUT = countTokens(ANSWER);
const COST = (INPUT * 150 + OUTPUT * 600) / 1_000_000;

describe.each(PLATFORMS)('GenAI calls on %s', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeEach(async () => {
    ({ app, url } = await startApp(GenAiAppModule, platform));
  });

  afterEach(async () => {
    await app.close();
  });

  async function llmSpan(name: string): Promise<{ llm: ReadableSpan; server: ReadableSpan }> {
    const spans = await app.get(InMemorySpanExporter).waitForSpans(2);
    return {
      llm: spans.find((s) => s.name === name)!,
      server: spans.find((s) => s.kind === SpanKind.SERVER)!,
    };
  }

  it('records a completion as a GenAI span with tokens and cost, under the request’s span', async () => {
    const res = await request(url).post('/llm/chat').send({ prompt: PROMPT }).expect(201);
    expect(res.body.text).toBe(ANSWER);
    const { llm, server } = await llmSpan('FakeLlmService.complete');
    expect(llm.parentSpanId).toBe(server.spanId);
    expect(llm.attributes).toMatchObject({
      'gen_ai.provider.name': 'fake-llm',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': MODEL,
      'gen_ai.response.model': RESPONSE_MODEL,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.stream': false,
      'gen_ai.usage.input_tokens': INPUT,
      'gen_ai.usage.output_tokens': OUTPUT,
      'gen_ai.usage.total_tokens': INPUT + OUTPUT,
    });
    expect(llm.attributes['gen_ai.usage.cost']).toBeCloseTo(COST, 12);
  });

  it('records a streamed completion once the stream has ended, with a span that lasts the stream', async () => {
    const res = await request(url)
      .post('/llm/chat/stream')
      .send({ prompt: PROMPT })
      .buffer(true)
      .parse((r, done) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => done(null, text));
      })
      .expect(201);
    expect(res.body).toBe(ANSWER);
    const { llm, server } = await llmSpan('FakeLlmService.stream');
    expect(llm.parentSpanId).toBe(server.spanId);
    expect(llm.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.model': RESPONSE_MODEL,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': INPUT,
      'gen_ai.usage.output_tokens': OUTPUT,
    });
    expect(llm.attributes['gen_ai.usage.cost']).toBeCloseTo(COST, 12);
    // 11 chunks, 5 ms apart: the span covers them all, the first came after one pause.
    expect(llm.durationMs).toBeGreaterThanOrEqual(OUTPUT * 5 - 5);
    expect(llm.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0.003);
  });

  it('counts LLM requests, tokens, cost and duration in the metrics', async () => {
    await request(url).post('/llm/chat').send({ prompt: PROMPT }).expect(201);
    await request(url).post('/llm/chat/stream').send({ prompt: PROMPT }).expect(201);
    await app.get(InMemorySpanExporter).waitForSpans(4);
    const m = parsePrometheusText((await request(url).get('/metrics').expect(200)).text);
    const labels = { gen_ai_provider_name: 'fake-llm', gen_ai_request_model: MODEL };
    expect(sampleValue(m, 'gen_ai_client_requests_total', labels)).toBe(2);
    expect(
      sampleValue(m, 'gen_ai_client_tokens_total', { ...labels, gen_ai_token_type: 'input' }),
    ).toBe(2 * INPUT);
    expect(
      sampleValue(m, 'gen_ai_client_tokens_total', { ...labels, gen_ai_token_type: 'output' }),
    ).toBe(2 * OUTPUT);
    expect(sampleValue(m, 'gen_ai_client_cost_total', labels)).toBeCloseTo(2 * COST, 12);
    expect(sampleValue(m, 'gen_ai_client_operation_duration_seconds_count', labels)).toBe(2);
  });
});
