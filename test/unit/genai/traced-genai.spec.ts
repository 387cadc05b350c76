import 'reflect-metadata';
import { firstValueFrom, from, toArray } from 'rxjs';
import type { Observable } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearGlobalTracer, setGlobalTracer } from '../../../lib/core/global-tracer.js';
import { traceGenAiMethod } from '../../../lib/genai/genai-method.js';
import { setGenAiPricing } from '../../../lib/genai/genai-pricing.js';
import {
  AlwaysOffSampler,
  InMemorySpanExporter,
  SpanKind,
  SpanStatusCode,
  Traced,
  TracingConfigError,
  recordGenAiUsage,
  traceGenAi,
  traceGenAiStream,
  type ReadableSpan,
} from '../../../lib/index.js';
import { GenAiPricing } from '../../../lib/genai/genai-pricing.js';
import { SimpleSpanProcessor, Tracer } from '../../../lib/export/index.js';

let exporter: InMemorySpanExporter;
let tracer: Tracer;

function useTracer(options: { sampled?: boolean } = {}): void {
  exporter = new InMemorySpanExporter();
  tracer = new Tracer({
    processor: new SimpleSpanProcessor(exporter),
    resource: { attributes: { 'service.name': 'unit' } },
    sampler: options.sampled === false ? new AlwaysOffSampler() : undefined,
  });
  setGlobalTracer(tracer);
  setGenAiPricing(
    tracer,
    new GenAiPricing({ 'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 } }),
  );
}

beforeEach(() => useTracer());
afterEach(() => clearGlobalTracer(tracer));

const completion = {
  id: 'chatcmpl-7',
  model: 'gpt-4o-2024-08-06',
  choices: [{ message: { content: 'Hello!' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
};

function onlySpan(): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

class Chat {
  chunksSeen = 0;

  @Traced({ genAi: { provider: 'openai', model: 'gpt-4o' } })
  async complete(_prompt: string): Promise<typeof completion> {
    await new Promise((r) => setTimeout(r, 1));
    return completion;
  }

  @Traced({ genAi: { provider: 'openai', model: 'gpt-4o', operation: 'text_completion' } })
  completeNow(): typeof completion {
    return completion;
  }

  @Traced({ genAi: { provider: 'openai', model: 'gpt-4o' } })
  async *stream(words: string[]): AsyncGenerator<unknown, string> {
    for (const [i, word] of words.entries()) {
      await new Promise((r) => setTimeout(r, 1));
      this.chunksSeen++;
      yield {
        model: 'gpt-4o-2024-08-06',
        choices: [
          { delta: { content: word }, finish_reason: i === words.length - 1 ? 'stop' : null },
        ],
      };
    }
    yield { choices: [], usage: { prompt_tokens: 10, completion_tokens: words.length } };
    return 'done';
  }

  @Traced({ genAi: { provider: 'local', model: 'tiny' } })
  *countdown(n: number): Generator<number> {
    for (let i = n; i > 0; i--) yield i;
    recordGenAiUsage({ inputTokens: 1, outputTokens: n, finishReasons: ['stop'] });
  }

  @Traced({ genAi: { provider: 'openai', model: 'gpt-4o', streaming: true } })
  observe(): Observable<unknown> {
    return from([
      { choices: [{ delta: { content: 'a' } }] },
      { choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } },
    ]);
  }

  @Traced({ genAi: { provider: 'openai', model: 'gpt-4o' } })
  async refuse(): Promise<never> {
    throw new Error('rate limited');
  }

  @Traced({
    genAi: {
      provider: 'custom',
      usage: (value) => {
        const v = value as { tokensIn: number; tokensOut: number };
        return { inputTokens: v.tokensIn, outputTokens: v.tokensOut, responseModel: 'gpt-4o' };
      },
    },
  })
  async custom(): Promise<{ tokensIn: number; tokensOut: number }> {
    return { tokensIn: 4, tokensOut: 6 };
  }
}

describe('@Traced({ genAi })', () => {
  it('records the gen_ai attributes, tokens and cost of a completion and returns it unchanged', async () => {
    const result = await new Chat().complete('hi');
    expect(result).toBe(completion);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.request.stream': false,
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.id': 'chatcmpl-7',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 200,
      'gen_ai.usage.total_tokens': 1200,
      // 1000 x 2.5 / 1M + 200 x 10 / 1M, priced by the dated response model's prefix.
      'gen_ai.usage.cost': 0.0045,
      'code.function.name': 'Chat.complete',
    });
  });

  it('records a sync call and the operation name given', () => {
    expect(new Chat().completeNow()).toBe(completion);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.operation.name': 'text_completion',
      'gen_ai.usage.total_tokens': 1200,
    });
  });

  it('records the tokens of a streamed answer once the stream ends, on a span that lasts the stream', async () => {
    const chat = new Chat();
    const chunks: unknown[] = [];
    const iterator = chat.stream(['Hello', ' ', 'world']);
    const first = await iterator.next();
    chunks.push(first.value);
    // Mid-stream: nothing ended yet.
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) chunks.push(r.value);
    expect(chunks).toHaveLength(4);
    expect(chat.chunksSeen).toBe(3);
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.usage.total_tokens': 13,
    });
    expect(span.attributes['gen_ai.usage.cost']).toBeCloseTo((10 * 2.5 + 3 * 10) / 1e6, 12);
    const ttfc = span.attributes['gen_ai.response.time_to_first_chunk'] as number;
    expect(ttfc).toBeGreaterThan(0);
    expect(ttfc * 1000).toBeLessThan(span.durationMs);
  });

  it('ends the span with what was read when the consumer stops a stream early', async () => {
    for await (const chunk of new Chat().stream(['a', 'b', 'c'])) {
      expect(chunk).toBeDefined();
      break;
    }
    const span = onlySpan();
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(span.attributes['gen_ai.response.model']).toBe('gpt-4o-2024-08-06');
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('keeps a generator a generator, and takes usage given with recordGenAiUsage inside it', () => {
    const wrapped = traceGenAiMethod(function* () {}, { provider: 'p' });
    expect(wrapped.constructor.name).toBe('GeneratorFunction');
    expect([...new Chat().countdown(3)]).toEqual([3, 2, 1]);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.provider.name': 'local',
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
    });
  });

  it('reads an Observable value by value and records when it completes', async () => {
    const values = await firstValueFrom(new Chat().observe().pipe(toArray()));
    expect(values).toHaveLength(2);
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 3,
      'gen_ai.usage.output_tokens': 1,
      'gen_ai.request.stream': true,
    });
  });

  it('records the request of a failed call with the error and rethrows it', async () => {
    await expect(new Chat().refuse()).rejects.toThrow('rate limited');
    const span = onlySpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate limited' });
    expect(span.attributes['gen_ai.provider.name']).toBe('openai');
    expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });

  it('uses a custom usage reader', async () => {
    await new Chat().custom();
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 4,
      'gen_ai.usage.output_tokens': 6,
      'gen_ai.usage.cost': (4 * 2.5 + 6 * 10) / 1e6,
    });
  });

  it('keeps the method working, unrecorded, when the trace is not sampled', async () => {
    clearGlobalTracer(tracer);
    useTracer({ sampled: false });
    const chat = new Chat();
    expect(await chat.complete('x')).toBe(completion);
    expect((await chat.stream(['a']).next()).done).toBe(false);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('refuses a genAi option without a provider when the method is decorated', () => {
    expect(() => {
      class Bad {
        @Traced({ genAi: { model: 'gpt-4o' } as never })
        call(): void {}
      }
      return Bad;
    }).toThrow(
      new TracingConfigError(
        '@Traced(): option "genAi.provider" must be a non-empty string such as "openai"; got undefined.',
      ),
    );
  });

  it('keeps the name, length and metadata of the method', () => {
    const key = 'test:meta';
    // Like Nest's SetMetadata: stored on the method itself.
    const Mark: MethodDecorator = (_target, _key, descriptor) => {
      Reflect.defineMetadata(key, 'kept', descriptor.value as object);
    };
    class Meta {
      @Traced({ genAi: { provider: 'p' } })
      @Mark
      ask(_a: string, _b: number): string {
        return 'ok';
      }
    }
    const ask = Meta.prototype.ask;
    expect(ask.name).toBe('ask');
    expect(ask.length).toBe(2);
    expect(Reflect.getMetadata(key, ask)).toBe('kept');
  });
});

async function* provider() {
  yield { model: 'gpt-4o-mini', choices: [{ delta: { content: 'a' } }] };
  yield { choices: [{ delta: { content: 'b' }, finish_reason: 'stop' }] };
  yield { choices: [], usage: { prompt_tokens: 8, completion_tokens: 2 } };
}

async function* endless() {
  for (let i = 0; ; i++) yield { choices: [{ delta: { content: String(i) } }] };
}

async function* failing() {
  yield {};
  throw new Error('connection reset');
}

describe('traceGenAi and traceGenAiStream', () => {
  it('opens a CLIENT span named after the operation and model, child of the active span', async () => {
    const reply = await tracer.withSpan('request', () =>
      traceGenAi({ provider: 'openai', model: 'gpt-4o' }, async () => completion),
    );
    expect(reply).toBe(completion);
    const spans = exporter.getFinishedSpans();
    const llm = spans.find((s) => s.name === 'chat gpt-4o')!;
    const parent = spans.find((s) => s.name === 'request')!;
    expect(llm.kind).toBe(SpanKind.CLIENT);
    expect(llm.parentSpanId).toBe(parent.spanId);
    expect(llm.attributes['gen_ai.usage.cost']).toBe(0.0045);
  });

  it('takes usage recorded on the call, and records a thrown error', () => {
    const text = traceGenAi({ provider: 'local', model: 'tiny' }, (call) => {
      call.record({ inputTokens: 2, outputTokens: 5 });
      expect(recordGenAiUsage({ finishReasons: ['length'] })).toBe(true);
      return 'plain text';
    });
    expect(text).toBe('plain text');
    expect(onlySpan().attributes).toMatchObject({
      'gen_ai.usage.total_tokens': 7,
      'gen_ai.response.finish_reasons': ['length'],
    });
    expect(() =>
      traceGenAi({ provider: 'local' }, () => {
        throw new Error('offline');
      }),
    ).toThrow('offline');
    expect(exporter.getFinishedSpans()[1]!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('keeps a stream’s span open until the stream ends and passes every chunk through', async () => {
    let openedIn: string | undefined;
    const stream = traceGenAiStream({ provider: 'openai', model: 'gpt-4o' }, async () => {
      openedIn = tracer.startSpan('http call').spanContext().traceId;
      return provider();
    });
    const chunks: unknown[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      expect(exporter.getFinishedSpans().filter((s) => s.name === 'chat gpt-4o')).toHaveLength(0);
    }
    expect(chunks).toHaveLength(3);
    const span = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o')!;
    expect(openedIn).toBe(span.traceId);
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': 8,
      'gen_ai.usage.output_tokens': 2,
      'gen_ai.response.finish_reasons': ['stop'],
    });
  });

  it('ends a stream’s span when the consumer stops early, and records a failing stream', async () => {
    for await (const chunk of traceGenAiStream({ provider: 'p' }, endless)) {
      expect(chunk).toBeDefined();
      break;
    }
    expect(onlySpan().name).toBe('chat');
    const seen: unknown[] = [];
    await expect(async () => {
      for await (const chunk of traceGenAiStream({ provider: 'p' }, failing)) seen.push(chunk);
    }).rejects.toThrow('connection reset');
    expect(seen).toEqual([{}]);
    expect(exporter.getFinishedSpans()[1]!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'connection reset',
    });
  });

  it('records nothing outside a GenAI call', () => {
    expect(recordGenAiUsage({ inputTokens: 1 })).toBe(false);
    tracer.withSpan('not genai', () => expect(recordGenAiUsage({ inputTokens: 1 })).toBe(false));
    expect(onlySpan().attributes['gen_ai.usage.input_tokens']).toBeUndefined();
  });
});
