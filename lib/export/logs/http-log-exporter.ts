import { HttpSender } from '../transport/http-sender.js';
import { InFlightRequests } from '../transport/in-flight-requests.js';
import { ExportResultCode, SUCCESS, type ExportResult } from '../../core/span-exporter.js';
import type { LogExporter, LogRecord } from '../../core/log-record.js';
import { ChunkedDelivery } from '../transport/chunked-delivery.js';

/** What every HTTP log exporter is given by its subclass. */
export interface HttpLogTransport {
  url: string;
  /** @default 'POST' */
  method?: string;
  headers?: Record<string, string>;
  /** Per-request deadline in ms. */
  timeoutMs: number;
  /** gzip the body and send `content-encoding: gzip`. */
  compression: 'gzip' | 'none';
  /** Statuses worth retrying besides 429 and 5xx ones. @default [408] */
  retryableStatus?: readonly number[];
  contentType: string;
}

/**
 * The sending half shared by the HTTP log exporters: the subclass encodes a batch into
 * request bodies (pure, split by the backend's limits); this sends them in order,
 * resumes after the last accepted one on a retry, tracks requests in flight for
 * flush and shutdown, and never throws.
 */
export abstract class HttpLogExporter implements LogExporter {
  readonly url: string;
  private readonly sender: HttpSender;
  private readonly contentType: string;
  private readonly method: string;
  private readonly delivery = new ChunkedDelivery<string | Uint8Array>();
  private readonly requests: InFlightRequests;

  protected constructor(
    private readonly owner: string,
    transport: HttpLogTransport,
  ) {
    this.requests = new InFlightRequests(owner);
    this.sender = new HttpSender({
      url: transport.url,
      method: transport.method,
      headers: transport.headers,
      timeoutMs: transport.timeoutMs,
      compression: transport.compression,
      retryableStatus: logRetryableStatus(transport.retryableStatus ?? [408]),
    });
    this.url = this.sender.endpoint;
    this.contentType = transport.contentType;
    this.method = transport.method ?? 'POST';
  }

  /** One request body per element, each within the backend's limits. */
  protected abstract encode(records: readonly LogRecord[]): (string | Uint8Array)[];

  export(records: readonly LogRecord[]): Promise<ExportResult> {
    const refused = this.requests.refusal();
    if (refused !== undefined) return Promise.resolve(refused);
    if (records.length === 0) return Promise.resolve(SUCCESS);
    let bodies: (string | Uint8Array)[];
    try {
      bodies = this.encode(records);
    } catch (error) {
      return Promise.resolve({
        code: ExportResultCode.FAILED,
        error: new Error(
          `${this.owner}: could not encode ${records.length} log records: ${messageOf(error)}`,
          { cause: error },
        ),
      });
    }
    return this.requests.track(
      this.delivery.deliver(records, bodies, (body) => this.sendOne(body)),
    );
  }

  /** Waits for requests already sent; nothing else is buffered here. */
  async forceFlush(): Promise<void> {
    await this.requests.waitAll();
  }

  /** Later exports fail at once; requests already sent are awaited. */
  async shutdown(): Promise<void> {
    await this.requests.stop();
  }

  private async sendOne(body: string | Uint8Array): Promise<ExportResult> {
    const result = await this.sender.send(body, this.contentType);
    if (result.code === ExportResultCode.SUCCESS) return SUCCESS;
    const outcome: ExportResult = {
      code: ExportResultCode.FAILED,
      error: new Error(
        `${this.owner}: ${this.method} ${this.url} failed: ${result.error?.message ?? 'unknown error'}`,
        { cause: result.error },
      ),
      retryable: result.retryable === true,
    };
    if (result.retryAfterMs !== undefined) outcome.retryAfterMs = result.retryAfterMs;
    return outcome;
  }
}

/** Log platforms ask for retries on 429 and every 5xx, unlike OTLP's shorter list. */
function logRetryableStatus(extra: readonly number[]): Set<number> {
  const statuses = new Set([429, ...extra]);
  for (let status = 500; status < 600; status++) statuses.add(status);
  return statuses;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
