import { EventEmitter } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createResource } from '../../../lib/core/resource.js';
import { LogOutput, type LogDestination } from '../../../lib/logging/log-output.js';
import type { LogRecord } from '../../../lib/core/log-record.js';

const resource = createResource({ serviceName: 'out' });

function record(message: string): LogRecord {
  return {
    time: performance.now(),
    level: 'info',
    message,
    context: undefined,
    traceId: undefined,
    spanId: undefined,
    traceFlags: undefined,
    correlationId: undefined,
    fields: {},
    error: undefined,
    resource,
    source: 'log',
  };
}

/** A destination that records each write call and answers backpressure as told. */
class FakeDestination extends EventEmitter implements LogDestination {
  readonly chunks: string[] = [];
  flowing = true;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return this.flowing;
  }
  get lines(): string[] {
    return this.chunks.join('').split('\n').filter(Boolean);
  }
}

function output(destination: LogDestination, maxBufferedLines = 100): LogOutput {
  return new LogOutput({
    destination,
    format: (r) => r.message,
    maxBufferedLines,
    droppedLine: (count) => `dropped ${count}`,
  });
}

describe('LogOutput', () => {
  it('never writes on the caller’s turn: lines logged together go out as one chunk on the next turn', async () => {
    const destination = new FakeDestination();
    const out = output(destination);
    for (let i = 0; i < 50; i++) out.write(record(`line ${i}`));
    expect(destination.chunks).toEqual([]);
    await nextTurn();
    expect(destination.chunks).toHaveLength(1);
    expect(destination.lines).toEqual(Array.from({ length: 50 }, (_, i) => `line ${i}`));
    out.close();
  });

  it('waits for drain when the destination pushes back, then writes what queued meanwhile', async () => {
    const destination = new FakeDestination();
    const out = output(destination);
    destination.flowing = false;
    out.write(record('a'));
    await nextTurn();
    out.write(record('b'));
    out.write(record('c'));
    await nextTurn();
    expect(destination.chunks).toEqual(['a\n']);
    destination.flowing = true;
    destination.emit('drain');
    await nextTurn();
    expect(destination.lines).toEqual(['a', 'b', 'c']);
    out.close();
  });

  it('drops and counts lines beyond the buffer while the destination is stuck, and says so afterwards', async () => {
    const destination = new FakeDestination();
    const out = output(destination, 3);
    destination.flowing = false;
    out.write(record('first'));
    await nextTurn();
    for (let i = 0; i < 10; i++) out.write(record(`queued ${i}`));
    expect(out.dropped).toBe(7);
    expect(out.queued).toBe(3);
    destination.flowing = true;
    destination.emit('drain');
    await nextTurn();
    expect(destination.lines).toEqual(['first', 'dropped 7', 'queued 0', 'queued 1', 'queued 2']);
    out.close();
  });

  it('writes everything queued at once on flushSync, even while waiting for drain', async () => {
    const destination = new FakeDestination();
    const out = output(destination);
    destination.flowing = false;
    out.write(record('a'));
    await nextTurn();
    out.write(record('b'));
    out.flushSync();
    expect(destination.lines).toEqual(['a', 'b']);
    out.close();
  });

  it('survives a destination that throws', async () => {
    const out = output({
      write: () => {
        throw new Error('EPIPE');
      },
      once: () => undefined,
    });
    out.write(record('lost'));
    await nextTurn();
    expect(() => out.flushSync()).not.toThrow();
    out.close();
  });
});
