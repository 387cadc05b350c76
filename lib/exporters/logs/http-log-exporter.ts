import { ExportResultCode, SUCCESS, type ExportResult } from '../../core/span-exporter.js';
import type { LogExporter, LogRecord } from '../../logging/log-record.js';
import { ChunkedDelivery } from './chunked-delivery.js';
import { LogHttpSender, type LogHttpSenderOptions } from './log-http-sender.js';

/** What every HTTP log exporter is given by its subclass. */
export interface HttpLogTransport extends LogHttpSenderOptions {
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
  private readonly sender: LogHttpSender;
  private readonly contentType: string;
  private readonly method: string;
  private readonly delivery = new ChunkedDelivery<string | Uint8Array>();
  private readonly inFlight = new Set<Promise<ExportResult>>();
  private stopped = false;

  protected constructor(
    private readonly owner: string,
    transport: HttpLogTransport,
  ) {
    this.sender = new LogHttpSender(transport);
    this.url = this.sender.url.href;
    this.contentType = transport.contentType;
    this.method = transport.method ?? 'POST';
  }

  /** One request body per element, each within the backend's limits. */
  protected abstract encode(records: readonly LogRecord[]): (string | Uint8Array)[];

  export(records: readonly LogRecord[]): Promise<ExportResult> {
    if (this.stopped) {
      return Promise.resolve({
        code: ExportResultCode.FAILED,
        error: new Error(`${this.owner}: export called after shutdown`),
      });
    }
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
    const sent = this.delivery.deliver(records, bodies, (body) => this.sendOne(body));
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
    return sent;
  }

  /** Waits for requests already sent; nothing else is buffered here. */
  async forceFlush(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  /** Later exports fail at once; requests already sent are awaited. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.forceFlush();
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
