import type { LogRecord } from '../core/log-record.js';

/** Where log lines go: process.stdout, process.stderr, a file stream, any Writable. */
export interface LogDestination {
  write(chunk: string): boolean;
  once(event: 'drain', listener: () => void): unknown;
}

export interface LogOutputOptions {
  destination: LogDestination;
  /** One record as one line, without the newline. Must not throw. */
  format: (record: LogRecord) => string;
  /** Lines held while the destination is slow; beyond it lines are dropped and counted. */
  maxBufferedLines: number;
  /** The line written when lines were dropped, once the destination drains. */
  droppedLine?: (count: number) => string;
}

const live = new Set<LogOutput>();
let exitHooked = false;

/**
 * Writes log lines without blocking the caller. `process.stdout.write` is synchronous
 * for files and pipes on Linux, so a write per line would put a syscall on the request
 * path. Instead a line is only queued (the record, not yet formatted); once per turn of
 * the event loop (`setImmediate`) the queue is formatted and written as one chunk. When
 * the destination reports backpressure (`write` returns false) writing pauses until
 * 'drain' and lines keep queueing, up to `maxBufferedLines`; beyond that they are
 * dropped and counted, and a note says so when writing resumes. Staying on the stream
 * (rather than writing to fd 1 from the thread pool) keeps lines in order with
 * `console.log` and works with any Writable. What is queued at exit is written
 * synchronously in a `process.on('exit')` hook.
 */
export class LogOutput {
  private pending: LogRecord[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private waitingForDrain = false;
  private droppedSinceWrite = 0;
  private droppedTotal = 0;
  private closed = false;

  constructor(private readonly options: LogOutputOptions) {
    live.add(this);
    if (!exitHooked) {
      exitHooked = true;
      process.on('exit', () => {
        for (const output of live) output.flushSync();
      });
    }
  }

  /** Lines dropped because the destination could not keep up. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Lines waiting to be written. */
  get queued(): number {
    return this.pending.length;
  }

  write(record: LogRecord): void {
    if (this.closed) {
      // Lines logged after shutdown (the app's last words) still need the exit hook.
      this.closed = false;
      live.add(this);
    }
    if (this.pending.length >= this.options.maxBufferedLines) {
      this.droppedSinceWrite++;
      this.droppedTotal++;
      return;
    }
    this.pending.push(record);
    if (this.scheduled === undefined && !this.waitingForDrain) {
      this.scheduled = setImmediate(this.flushNow);
    }
  }

  /** Writes what is queued now, unless the destination asked to wait (drain). */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    if (this.waitingForDrain) return;
    this.writeChunk(this.take());
  }

  /** Writes what is queued now even while waiting for drain: at exit and shutdown. */
  flushSync(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const chunk = this.take();
    if (chunk === '') return;
    try {
      this.options.destination.write(chunk);
    } catch {
      // The destination is gone (closed pipe at exit): nothing is left to report to.
    }
  }

  /** Writes what is queued and stops the exit hook from holding this output. */
  close(): void {
    this.flushSync();
    this.closed = true;
    live.delete(this);
  }

  private readonly flushNow = (): void => {
    this.scheduled = undefined;
    if (!this.waitingForDrain) this.writeChunk(this.take());
  };

  private take(): string {
    const records = this.pending;
    if (records.length === 0 && this.droppedSinceWrite === 0) return '';
    this.pending = [];
    let chunk = '';
    if (this.droppedSinceWrite > 0 && this.options.droppedLine !== undefined) {
      chunk += this.options.droppedLine(this.droppedSinceWrite) + '\n';
    }
    this.droppedSinceWrite = 0;
    const format = this.options.format;
    for (const record of records) chunk += format(record) + '\n';
    return chunk;
  }

  private writeChunk(chunk: string): void {
    if (chunk === '') return;
    let flowing = true;
    try {
      flowing = this.options.destination.write(chunk);
    } catch {
      // A destroyed destination throws: logging must not take the app down with it.
      return;
    }
    if (flowing) return;
    this.waitingForDrain = true;
    this.options.destination.once('drain', () => {
      this.waitingForDrain = false;
      if (this.pending.length > 0 || this.droppedSinceWrite > 0) {
        this.scheduled ??= setImmediate(this.flushNow);
      }
    });
  }
}
