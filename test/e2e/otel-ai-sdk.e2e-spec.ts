import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { generateText, registerTelemetry } from 'ai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  InMemorySpanExporter,
  SpanKind,
  Traced,
  TracingModule,
  type ReadableSpan,
} from '../../lib/index.js';
import { PLATFORMS, startApp } from '../fixtures/platforms.js';

// The Vercel AI SDK (ai 7 and its OpenTelemetry integration, @ai-sdk/otel) with
// experimental_telemetry on, against a local OpenAI-compatible model server: its spans join the
// request's trace, and the tokens it reports feed our GenAI metrics, counted once per model call.
// Both of its integrations: OpenTelemetry (gen_ai.* conventions, registered with
// registerTelemetry) and LegacyOpenTelemetry (ai.* spans, gen_ai.system on the model call).

interface Recorded {
  model: string;
}

let modelServer: Server;
let baseURL: string;
const received: Recorded[] = [];

function startModelServer(): Promise<void> {
  modelServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const parsed = JSON.parse(body) as { model: string };
      received.push({ model: parsed.model });
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: 'fake-model-2025',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'Paris.' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
        }),
      );
    });
  });
  return new Promise((resolve) =>
    modelServer.listen(0, '127.0.0.1', () => {
      baseURL = `http://127.0.0.1:${(modelServer.address() as AddressInfo).port}/v1`;
      resolve();
    }),
  );
}

@Injectable()
class AnswerService {
  legacy = false;

  @Traced()
  async answer(): Promise<string> {
    const provider = createOpenAICompatible({ name: 'fakeai', baseURL, apiKey: 'k' });
    const { text } = await generateText({
      model: provider.chatModel('fake-model'),
      prompt: 'Capital of France?',
      experimental_telemetry: this.legacy
        ? { isEnabled: true, integrations: [new LegacyOpenTelemetry()] }
        : { isEnabled: true },
    });
    return text;
  }
}

@Controller()
class AnswerController {
  constructor(private readonly answers: AnswerService) {}

  @Get('answer')
  async answer(): Promise<{ text: string }> {
    return { text: await this.answers.answer() };
  }
}

@Module({
  imports: [
    TracingModule.forRoot({
      serviceName: 'otel-ai',
      exporters: [{ type: 'memory' }],
      metrics: true,
    }),
  ],
  controllers: [AnswerController],
  providers: [AnswerService],
})
class AppModule {}

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  if (span === undefined)
    throw new Error(`no span ${name} in ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

/** The gen_ai_client_tokens_total samples, as `operation/type value` lines. */
async function tokenSamples(app: INestApplication): Promise<string[]> {
  const res = await request(app.getHttpServer()).get('/metrics').expect(200);
  return res.text
    .split('\n')
    .filter((line) => line.startsWith('gen_ai_client_tokens_total{'))
    .map((line) => {
      const op = /gen_ai_operation_name="([^"]*)"/.exec(line)![1];
      const type = /gen_ai_token_type="([^"]*)"/.exec(line)![1];
      const provider = /gen_ai_provider_name="([^"]*)"/.exec(line)![1];
      return `${provider}/${op}/${type} ${line.split(' ').at(-1)}`;
    })
    .sort();
}

describe('Vercel AI SDK telemetry through the bridge', () => {
  let app: INestApplication | undefined;

  beforeAll(async () => {
    registerTelemetry(new OpenTelemetry());
    await startModelServer();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    received.length = 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => modelServer.close(resolve));
  });

  it.each(PLATFORMS)(
    'OpenTelemetry integration: its spans join the request trace, tokens counted once (%s)',
    async (platform) => {
      app = (await startApp(AppModule, platform)).app;
      const res = await request(app.getHttpServer()).get('/answer').expect(200);
      expect(res.body).toEqual({ text: 'Paris.' });
      expect(received).toEqual([{ model: 'fake-model' }]);
      const spans = await app.get(InMemorySpanExporter).waitForSpans(5);
      const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
      const traced = byName(spans, 'AnswerService.answer');
      const agent = byName(spans, 'invoke_agent fake-model');
      const step = byName(spans, 'step 1');
      const chat = byName(spans, 'chat fake-model');
      for (const span of [agent, step, chat]) expect(span.traceId).toBe(server.traceId);
      expect(agent.parentSpanId).toBe(traced.spanId);
      expect(step.parentSpanId).toBe(agent.spanId);
      expect(chat.parentSpanId).toBe(step.spanId);
      expect(chat.kind).toBe(SpanKind.CLIENT);
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'fakeai.chat',
        'gen_ai.request.model': 'fake-model',
        'gen_ai.response.model': 'fake-model-2025',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 3,
      });
      // The agent span repeats the totals; the metrics count the model call only.
      expect(agent.attributes['gen_ai.usage.input_tokens']).toBe(12);
      expect(await tokenSamples(app)).toEqual([
        'fakeai.chat/chat/input 12',
        'fakeai.chat/chat/output 3',
      ]);
    },
  );

  it('LegacyOpenTelemetry integration: ai.* spans join the trace, gen_ai.system read as the provider', async () => {
    app = (await startApp(AppModule, 'express')).app;
    app.get(AnswerService).legacy = true;
    await request(app.getHttpServer()).get('/answer').expect(200);
    const spans = await app.get(InMemorySpanExporter).waitForSpans(4);
    const traced = byName(spans, 'AnswerService.answer');
    const root = byName(spans, 'ai.generateText');
    const call = byName(spans, 'ai.generateText.doGenerate');
    expect(root.parentSpanId).toBe(traced.spanId);
    expect(call.parentSpanId).toBe(root.spanId);
    expect(call.traceId).toBe(traced.traceId);
    // The root span carries ai.usage.* only; the model call carries gen_ai.usage.* too.
    expect(root.attributes['ai.usage.inputTokens']).toBe(12);
    expect(root.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(call.attributes).toMatchObject({
      'gen_ai.system': 'fakeai.chat',
      'gen_ai.provider.name': 'fakeai.chat',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 3,
    });
    expect(await tokenSamples(app)).toEqual(['fakeai.chat//input 12', 'fakeai.chat//output 3']);
  });
});
