import { describe, expect, it } from 'vitest';
import { readGenAiUsage } from '../../../lib/genai/genai-usage.js';

describe('readGenAiUsage', () => {
  it('reads an OpenAI chat completion', () => {
    expect(
      readGenAiUsage({
        id: 'chatcmpl-1',
        model: 'gpt-4o-2024-08-06',
        choices: [{ finish_reason: 'stop' }, { finish_reason: 'length' }],
        usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42 },
      }),
    ).toEqual({
      responseId: 'chatcmpl-1',
      responseModel: 'gpt-4o-2024-08-06',
      finishReasons: ['stop', 'length'],
      inputTokens: 12,
      outputTokens: 30,
      totalTokens: 42,
    });
  });

  it('reads the chunks of an OpenAI stream: content chunks carry no usage, the last one does', () => {
    expect(
      readGenAiUsage({
        model: 'gpt-4o',
        choices: [{ delta: { content: 'Hi' }, finish_reason: null }],
        usage: null,
      }),
    ).toEqual({ responseModel: 'gpt-4o' });
    expect(
      readGenAiUsage({
        choices: [],
        usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      }),
    ).toEqual({
      inputTokens: 5,
      outputTokens: 7,
      totalTokens: 12,
    });
  });

  it('reads an Anthropic message and its stream events', () => {
    expect(
      readGenAiUsage({
        id: 'msg_1',
        model: 'claude-sonnet-4-5',
        stop_reason: 'end_turn',
        usage: { input_tokens: 20, output_tokens: 9 },
      }),
    ).toEqual({
      responseId: 'msg_1',
      responseModel: 'claude-sonnet-4-5',
      finishReasons: ['end_turn'],
      inputTokens: 20,
      outputTokens: 9,
    });
    expect(
      readGenAiUsage({
        type: 'message_start',
        message: {
          id: 'msg_2',
          model: 'claude-haiku-4-5',
          usage: { input_tokens: 25, output_tokens: 1 },
        },
      }),
    ).toEqual({
      responseId: 'msg_2',
      responseModel: 'claude-haiku-4-5',
      inputTokens: 25,
      outputTokens: 1,
    });
    expect(
      readGenAiUsage({
        type: 'message_delta',
        delta: { stop_reason: 'max_tokens' },
        usage: { output_tokens: 15 },
      }),
    ).toEqual({ finishReasons: ['max_tokens'], outputTokens: 15 });
  });

  it('reads a Gemini response', () => {
    expect(
      readGenAiUsage({
        modelVersion: 'gemini-2.5-flash',
        candidates: [{ finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6, totalTokenCount: 10 },
      }),
    ).toEqual({
      responseModel: 'gemini-2.5-flash',
      finishReasons: ['STOP'],
      inputTokens: 4,
      outputTokens: 6,
      totalTokens: 10,
    });
  });

  it('reads GenAiUsage itself, flat or under usage', () => {
    const usage = { inputTokens: 1, outputTokens: 2, finishReasons: ['stop'], responseModel: 'm' };
    expect(readGenAiUsage(usage)).toEqual(usage);
    expect(readGenAiUsage({ text: 'hi', usage: { inputTokens: 3, outputTokens: 4 } })).toEqual({
      inputTokens: 3,
      outputTokens: 4,
    });
  });

  it('finds nothing in values that carry no usage, and ignores negative or non-numeric counts', () => {
    for (const value of [undefined, null, 'text', 42, [], { text: 'hello' }]) {
      expect(readGenAiUsage(value)).toBeUndefined();
    }
    expect(
      readGenAiUsage({ usage: { prompt_tokens: -1, completion_tokens: '3' } }),
    ).toBeUndefined();
  });
});
