import { ExportResultCode, SUCCESS, type ExportResult } from '../../core/span-exporter.js';

/**
 * The requests an exporter has sent and not yet seen settle, and whether it has shut down:
 * after `stop()` exports fail at once, while `waitAll()` still awaits those already sent.
 */
export class InFlightRequests {
  private readonly pending = new Set<Promise<unknown>>();
  private stopped = false;

  /** @param owner names the exporter in the after-shutdown error */
  constructor(private readonly owner: string) {}

  /** The failure an export gets after `stop()`, without sending; undefined while running. */
  refusal(): ExportResult | undefined {
    if (!this.stopped) return undefined;
    return {
      code: ExportResultCode.FAILED,
      error: new Error(`${this.owner}: export called after shutdown`),
    };
  }

  /**
   * One export of `count` items: refused after `stop()` (not worth retrying), a success with
   * nothing to send, else `send()`, remembered until it settles.
   */
  export<R extends ExportResult>(count: number, send: () => Promise<R>): Promise<R | ExportResult> {
    const refused = this.refusal();
    if (refused !== undefined) return Promise.resolve({ ...refused, retryable: false });
    if (count === 0) return Promise.resolve(SUCCESS);
    return this.track(send());
  }

  /** Remembers `sent` until it settles and returns it. */
  track<T>(sent: Promise<T>): Promise<T> {
    this.pending.add(sent);
    const forget = () => this.pending.delete(sent);
    void sent.then(forget, forget);
    return sent;
  }

  /** Waits for the requests already sent. */
  async waitAll(): Promise<void> {
    await Promise.all(this.pending);
  }

  /** Refuses later exports, then waits for the requests already sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.waitAll();
  }
}
