import { Body, Controller, Post, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { FakeLlmService } from './fake-llm.service.js';

@Controller('llm')
export class LlmController {
  constructor(private readonly llm: FakeLlmService) {}

  @Post('chat')
  async chat(@Body() body: { prompt?: string }) {
    const completion = await this.llm.complete(body.prompt ?? '');
    return { text: completion.choices[0]!.message.content, usage: completion.usage };
  }

  /** Streams plain text; the LLM span ends with the stream, and records the tokens then. */
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
