import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Traced } from 'nestjs-tracing';

export const FAKE_LLM_MODEL = 'fake-llm-mini';
const RESPONSE_MODEL = 'fake-llm-mini-2025-01-01';
const ANSWER = 'A trace follows one request through every service it touches.';
const countTokens = (text: string) => text.split(/\s+/).filter(Boolean).length;

export interface Completion {
  id: string;
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface CompletionChunk {
  model: string;
  choices: { delta: { content: string }; finish_reason: string | null }[];
  usage?: Completion['usage'];
}

/** A local, deterministic LLM shaped like OpenAI's chat API: tokens are words. */
@Injectable()
export class FakeLlmService {
  @Traced({ genAi: { provider: 'fake-llm', model: FAKE_LLM_MODEL } })
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

  /** One chunk per word, then a usage chunk (as OpenAI sends with include_usage). */
  @Traced({ genAi: { provider: 'fake-llm', model: FAKE_LLM_MODEL } })
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
