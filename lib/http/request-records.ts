import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type {
  HttpRecordQuery,
  HttpRequestRecord,
  HttpStatusFilter,
} from './interfaces/http-request-record.interface.js';
import type { VerboseHttpWriter, VerboseExchange } from './verbose-http-writer.js';

/**
 * The recent outgoing calls of one `TracedHttpService` (or instrumented axios instance):
 * a bounded ring, oldest dropped first, already redacted. Query it, export it to a JSON
 * file, or read it in a debug endpoint.
 */
export class HttpRequestRecords {
  /** How many records are kept; 0 when records are off. */
  readonly max: number;
  private readonly ring: HttpRequestRecord[] = [];
  /** Index of the oldest record once the ring is full. */
  private head = 0;
  private nextId = 1;

  constructor(
    max: number,
    private readonly verbose?: VerboseHttpWriter,
  ) {
    this.max = max;
  }

  /** How many records are held. */
  get size(): number {
    return this.ring.length;
  }

  /** The id the next record will get. */
  reserveId(): number {
    return this.nextId++;
  }

  /** Keeps a finished call (and writes its verbose file, when enabled). */
  add(record: HttpRequestRecord, exchange?: VerboseExchange): void {
    if (this.max > 0) {
      if (this.ring.length < this.max) this.ring.push(record);
      else {
        this.ring[this.head] = record;
        this.head = (this.head + 1) % this.max;
      }
    }
    if (this.verbose !== undefined && exchange !== undefined) this.verbose.write(exchange);
  }

  /** Records matching `query`, newest first. */
  list(query: HttpRecordQuery = {}): HttpRequestRecord[] {
    const { limit, status, url, method } = query;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RangeError(`HttpRequestRecords.list: "limit" must be a non-negative integer`);
    }
    const wantedMethod = method?.toUpperCase();
    const out: HttpRequestRecord[] = [];
    for (let i = this.ring.length - 1; i >= 0; i--) {
      if (limit !== undefined && out.length >= limit) break;
      const record = this.ring[(this.head + i) % this.ring.length]!;
      if (wantedMethod !== undefined && record.method !== wantedMethod) continue;
      if (status !== undefined && !matchesStatus(record, status)) continue;
      if (url !== undefined && !matchesUrl(record.url, url)) continue;
      out.push(record);
    }
    return out;
  }

  clear(): void {
    this.ring.length = 0;
    this.head = 0;
  }

  /**
   * Writes the records matching `query` (all by default) to `path` as pretty JSON,
   * creating missing folders. Resolves with the number written.
   */
  async exportToFile(path: string, query?: HttpRecordQuery): Promise<number> {
    const records = this.list(query);
    const target = resolve(path);
    await mkdir(dirname(target), { recursive: true });
    const document = { exportedAt: new Date().toISOString(), count: records.length, records };
    await writeFile(target, JSON.stringify(document, null, 2) + '\n', 'utf8');
    return records.length;
  }

  /** Waits for the verbose files written so far. */
  async flush(): Promise<void> {
    await this.verbose?.flush();
  }
}

function matchesStatus(record: HttpRequestRecord, filter: HttpStatusFilter): boolean {
  if (filter === 'error') return !record.ok;
  if (typeof filter === 'number') return record.status === filter;
  const status = record.status;
  return status !== undefined && Math.floor(status / 100) === Number(filter[0]);
}

function matchesUrl(url: string, filter: string | RegExp): boolean {
  if (typeof filter === 'string') return url.includes(filter);
  filter.lastIndex = 0;
  return filter.test(url);
}
