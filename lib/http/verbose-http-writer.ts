import { Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type {
  HttpMessageRecord,
  HttpRequestRecord,
} from './interfaces/http-request-record.interface.js';
import type { CapturedBody } from '../core/redaction/body-redaction.js';

/** A finished call with its bodies at the verbose cap (already redacted). */
export interface VerboseExchange {
  readonly record: HttpRequestRecord;
  readonly requestBody: CapturedBody | undefined;
  readonly responseBody: CapturedBody | undefined;
}

/** Files waiting to be written; beyond this, new ones are dropped (and counted) rather than queued. */
const MAX_PENDING = 256;

/**
 * Writes each call as one pretty JSON file in a folder: the record with complete bodies
 * (JSON bodies embedded as JSON). Asynchronous, one file at a time, bounded: a slow or
 * failing disk costs the calls nothing and is reported once.
 */
export class VerboseHttpWriter {
  readonly dir: string;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private dropped = 0;
  private dirReady: Promise<unknown> | undefined;
  private failed = false;
  private readonly logger = new Logger('TracedHttpService');

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Files not written because too many were waiting. */
  get droppedFiles(): number {
    return this.dropped;
  }

  write(exchange: VerboseExchange): void {
    if (this.pending >= MAX_PENDING) {
      if (this.dropped++ === 0) {
        this.logger.warn(
          `Verbose HTTP files are being dropped: the disk is not keeping up (${this.dir}).`,
        );
      }
      return;
    }
    this.pending++;
    this.queue = this.queue.then(() => this.writeOne(exchange)).finally(() => this.pending--);
  }

  /** Resolves once every file queued so far is written (or has failed). */
  flush(): Promise<void> {
    return this.queue;
  }

  private async writeOne(exchange: VerboseExchange): Promise<void> {
    const { record } = exchange;
    try {
      this.dirReady ??= mkdir(this.dir, { recursive: true });
      await this.dirReady;
      const document = {
        ...record,
        request: withBody(record.request, exchange.requestBody),
        response: record.response && withBody(record.response, exchange.responseBody),
      };
      await writeFile(join(this.dir, fileName(record)), JSON.stringify(document, null, 2) + '\n');
    } catch (error) {
      this.dirReady = undefined;
      if (!this.failed) {
        this.failed = true;
        this.logger.warn(
          `Writing verbose HTTP files to ${this.dir} failed: ${(error as Error).message} (further failures are not logged).`,
        );
      }
    }
  }
}

function withBody(message: HttpMessageRecord, body: CapturedBody | undefined): object {
  const { body: _summary, bodyTruncated: _cut, ...rest } = message;
  if (body === undefined) return rest;
  return {
    ...rest,
    body: body.json !== undefined ? body.json : body.text,
    ...(body.truncated ? { bodyTruncated: true } : {}),
  };
}

function fileName(record: HttpRequestRecord): string {
  const time = record.startedAt.replace(/[:.]/g, '-');
  const outcome = record.status ?? record.errorType ?? 'error';
  const safe = `${record.method}-${outcome}`.replace(/[^A-Za-z0-9_-]/g, '_');
  return `${time}-${String(record.id).padStart(6, '0')}-${safe}.json`;
}
