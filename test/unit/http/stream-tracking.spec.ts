import { PassThrough, type Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { trackReadable, type TrackedReadable } from '../../../lib/http/stream-tracking.js';

function tracked(stream: Readable, captureBytes = 0): Promise<TrackedReadable> {
  return new Promise((resolve) =>
    trackReadable(stream, 'chunked', performance.now(), captureBytes, resolve),
  );
}

describe('trackReadable', () => {
  it('counts chunks and bytes without reading the stream itself', async () => {
    const stream = new PassThrough();
    const done = tracked(stream, 5);
    stream.write('hello ');
    stream.write('world');
    stream.end();
    // Nothing has consumed it: still paused, nothing counted as done.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stream.readableFlowing).toBeNull();
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    const result = await done;
    expect(text).toBe('hello world');
    expect(result.figures).toMatchObject({
      kind: 'chunked',
      chunks: 2,
      bytes: 11,
      outcome: 'completed',
    });
    expect(result.figures.timeToFirstByteMs).toBeGreaterThanOrEqual(0);
    expect(result.captured?.toString()).toBe('hello');
  });

  it('counts what was already buffered when tracking began', async () => {
    const stream = new PassThrough();
    stream.write('early');
    const done = tracked(stream);
    stream.end('late');
    stream.resume();
    expect((await done).figures).toMatchObject({ chunks: 2, bytes: 9 });
  });

  it('reports a destroyed stream as aborted and a failed one as errored, keeping error handling to the consumer', async () => {
    const aborted = new PassThrough();
    const abortedDone = tracked(aborted);
    aborted.write('x');
    aborted.destroy();
    expect((await abortedDone).figures.outcome).toBe('aborted');

    const failing = new PassThrough();
    const failedDone = tracked(failing);
    expect(failing.listenerCount('error')).toBe(0);
    failing.on('error', () => undefined); // the consumer's own handler
    failing.destroy(new Error('reset'));
    const failed = await failedDone;
    expect(failed.figures.outcome).toBe('errored');
    expect(failed.error?.message).toBe('reset');
  });

  it('restores the stream push method once done', async () => {
    const stream = new PassThrough();
    const done = tracked(stream);
    expect(Object.hasOwn(stream, 'push')).toBe(true);
    stream.end();
    stream.resume();
    await done;
    expect(Object.hasOwn(stream, 'push')).toBe(false);
  });
});
