import { mkdir, open, rename, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  ExportResultCode,
  SUCCESS,
  type ExportResult,
  type SpanExporter,
} from '../../core/span-exporter.js';
import type { ReadableSpan } from '../../core/types.js';
import { spanToJson } from './console-format.js';

export interface FileSpanExporterOptions {
  /** The file spans are appended to, one JSON object per line. Missing directories are created. */
  path: string;
  /** Size at which the file is rotated, in bytes; at least 1024. Default 10 MiB. */
  maxFileBytes?: number;
  /** Rotated files kept besides the current one (`<path>.1` is the newest). Default 5. */
  maxFiles?: number;
}

const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const MIN_MAX_FILE_BYTES = 1024;
const DEFAULT_MAX_FILES = 5;
const EXPORTED = Promise.resolve(SUCCESS);
const NEWLINE = 0x0a;

/**
 * Appends spans to a file as JSON lines (the `spanToJson` shape), rotating it by size:
 * `spans.jsonl` → `spans.jsonl.1` → `spans.jsonl.2` …, keeping `maxFiles` old files.
 * All I/O is asynchronous and runs one operation at a time, so overlapping exports keep
 * their order and never interleave. A line is never split across files; a single line
 * longer than `maxFileBytes` gets a file of its own rather than being dropped.
 */
export class FileSpanExporter implements SpanExporter {
  /** Absolute, so a later `process.chdir` does not move the file. */
  readonly path: string;
  readonly maxFileBytes: number;
  readonly maxFiles: number;
  private handle: FileHandle | undefined;
  /** Bytes in the current file: read once on open, then counted, never stat-ed per write. */
  private size = 0;
  /** The file was found not ending in a newline (a torn last write): start on a new line. */
  private needsNewline = false;
  /** Written since the last fsync. */
  private dirty = false;
  /** The last queued operation; each new one starts after it. Never rejects. */
  private tail: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(options: FileSpanExporterOptions) {
    const path: unknown = (options as Partial<FileSpanExporterOptions> | undefined)?.path;
    if (typeof path !== 'string' || path.trim() === '') {
      throw new Error(
        `FileSpanExporter: option "path" must be a non-empty string, got ${shown(path)}`,
      );
    }
    const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes < MIN_MAX_FILE_BYTES) {
      throw new Error(
        `FileSpanExporter: option "maxFileBytes" must be a positive integer of at least ${MIN_MAX_FILE_BYTES}, got ${shown(maxFileBytes)}`,
      );
    }
    const maxFiles = options.maxFiles ?? DEFAULT_MAX_FILES;
    if (!Number.isSafeInteger(maxFiles) || maxFiles < 1) {
      throw new Error(
        `FileSpanExporter: option "maxFiles" must be an integer of at least 1, got ${shown(maxFiles)}`,
      );
    }
    this.path = resolve(path);
    this.maxFileBytes = maxFileBytes;
    this.maxFiles = maxFiles;
  }

  export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    if (this.stopped) {
      return Promise.resolve({
        code: ExportResultCode.FAILED,
        error: new Error('FileSpanExporter: export called after shutdown'),
        retryable: false,
      });
    }
    if (spans.length === 0) return EXPORTED;
    let lines: Buffer[];
    try {
      // Formatted now, so the lines are fixed in call order whatever the queue does.
      lines = spans.map((span) => Buffer.from(JSON.stringify(spanToJson(span)) + '\n'));
    } catch (error) {
      return Promise.resolve(failed(error));
    }
    return this.enqueue(() => this.writeLines(lines));
  }

  /** Resolves once every span exported before the call is written and synced to disk. */
  forceFlush(): Promise<void> {
    return this.enqueue(() => this.sync());
  }

  /** Flushes, then closes the file; exports after this fail at once. Safe to call twice. */
  shutdown(): Promise<void> {
    this.stopped = true;
    return (this.shutdownPromise ??= this.enqueue(async () => {
      await this.sync();
      await this.close();
    }));
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.tail.then(operation);
    // Operations report their own failures; this only keeps the chain alive.
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async writeLines(lines: readonly Buffer[]): Promise<ExportResult> {
    try {
      if (this.handle === undefined) await this.openFile();
      let segment: Buffer[] = [];
      let segmentBytes = 0;
      for (const line of lines) {
        const pending = this.size + (this.needsNewline ? 1 : 0) + segmentBytes;
        if (pending > 0 && pending + line.length > this.maxFileBytes) {
          await this.append(segment, segmentBytes);
          await this.rotate();
          segment = [];
          segmentBytes = 0;
        }
        segment.push(line);
        segmentBytes += line.length;
      }
      await this.append(segment, segmentBytes);
      return SUCCESS;
    } catch (error) {
      // The counted size may be off after a partial write: reopen (and stat) next time.
      await this.close();
      return failed(error);
    }
  }

  private async openFile(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    // a+: appends, and lets us read the last byte of a file we continue.
    const handle = await open(this.path, 'a+');
    try {
      const { size } = await handle.stat();
      let needsNewline = false;
      if (size > 0) {
        const last = Buffer.alloc(1);
        const { bytesRead } = await handle.read(last, 0, 1, size - 1);
        needsNewline = bytesRead === 1 && last[0] !== NEWLINE;
      }
      this.handle = handle;
      this.size = size;
      this.needsNewline = needsNewline;
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  private async append(segment: readonly Buffer[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    const handle = this.handle!;
    let data = segment.length === 1 ? segment[0]! : Buffer.concat(segment, bytes);
    if (this.needsNewline) {
      data = Buffer.concat([Buffer.of(NEWLINE), data]);
      this.needsNewline = false;
    }
    this.dirty = true;
    // write() may take less than it is given; loop until the whole buffer is down.
    for (let offset = 0; offset < data.length;) {
      const { bytesWritten } = await handle.write(data, offset, data.length - offset);
      offset += bytesWritten;
      this.size += bytesWritten;
    }
  }

  /** `path.N-1` → `path.N` (replacing the oldest) … `path` → `path.1`, then a fresh `path`. */
  private async rotate(): Promise<void> {
    await this.sync();
    await this.close();
    for (let index = this.maxFiles - 1; index >= 1; index--) {
      await renameIfExists(`${this.path}.${index}`, `${this.path}.${index + 1}`);
    }
    // Gone already if someone removed it under us; the fresh file starts the same way.
    await renameIfExists(this.path, `${this.path}.1`);
    await this.openFile();
  }

  private async sync(): Promise<void> {
    if (this.handle === undefined || !this.dirty) return;
    this.dirty = false;
    try {
      await this.handle.datasync();
    } catch {
      // Best effort: flushing must not fail the app's shutdown; write errors were reported by export.
    }
  }

  private async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    this.dirty = false;
    await handle?.close().catch(() => undefined);
  }
}

async function renameIfExists(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Disk errors (EACCES, ENOSPC, EISDIR…) will not go away on a quick retry. */
function failed(error: unknown): ExportResult {
  return {
    code: ExportResultCode.FAILED,
    error: error instanceof Error ? error : new Error(String(error)),
    retryable: false,
  };
}

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
