/** What one exporter's pipeline has done so far. */
export interface ExporterStats {
  exporter: string;
  /** Items (spans, log records) the backend accepted. */
  exported: number;
  /**
   * Items never sent: the queue was full, the shutdown deadline passed while they were
   * queued, or they ended after shutdown.
   */
  dropped: number;
  /**
   * Items sent but not delivered: a final failure, exhausted retries, or an export still
   * unanswered (or waiting to retry) at the shutdown deadline. With `exported` and `dropped`
   * it accounts for every item given to the queue.
   */
  failed: number;
  /** Retry attempts made. */
  retried: number;
  queueLength: number;
  lastError?: { message: string; at: string };
}
