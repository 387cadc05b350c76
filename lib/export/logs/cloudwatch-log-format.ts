import { hrTimeToUnixMillis } from '../../core/clock.js';
import { fitLogRecord, formatLogJsonLine } from '../../core/log-format.js';
import type { LogRecord } from '../../core/log-record.js';

/**
 * Pure log record → CloudWatch Logs PutLogEvents mapping: one event per record, the JSON
 * line as its message (CloudWatch Logs Insights discovers its fields), epoch milliseconds
 * as its timestamp; events in time order and split by the API's batch limits.
 */

export interface CloudWatchLogEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}

/** PutLogEvents' documented constraints. */
export interface CloudWatchLimits {
  /** @default 10000 */
  maxEvents: number;
  /** The sum of the messages' UTF-8 bytes plus `eventOverheadBytes` per event. @default 1048576 */
  maxBatchBytes: number;
  /** @default 26 */
  eventOverheadBytes: number;
  /** Largest event (message plus overhead). @default 262144 */
  maxEventBytes: number;
  /** A batch may not span more than 24 hours. @default 86400000 */
  maxSpanMs: number;
}

export const CLOUDWATCH_LIMITS: Readonly<CloudWatchLimits> = Object.freeze({
  maxEvents: 10_000,
  maxBatchBytes: 1_048_576,
  eventOverheadBytes: 26,
  maxEventBytes: 262_144,
  maxSpanMs: 24 * 60 * 60 * 1000,
});

/** Events for the records, oldest first (equal times keep their order), each cut to the limit. */
export function toCloudWatchLogEvents(
  records: readonly LogRecord[],
  limits: CloudWatchLimits = CLOUDWATCH_LIMITS,
): CloudWatchLogEvent[] {
  const maxMessage = limits.maxEventBytes - limits.eventOverheadBytes;
  return records
    .map((record) => ({
      timestamp: Math.floor(hrTimeToUnixMillis(record.time)),
      message: formatLogJsonLine(fitLogRecord(record, maxMessage)),
    }))
    .toSorted((a, b) => a.timestamp - b.timestamp);
}

/** Sorted events in PutLogEvents batches: by count, by bytes and by time span. */
export function splitCloudWatchBatches(
  events: readonly CloudWatchLogEvent[],
  limits: CloudWatchLimits = CLOUDWATCH_LIMITS,
): CloudWatchLogEvent[][] {
  const batches: CloudWatchLogEvent[][] = [];
  let batch: CloudWatchLogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message) + limits.eventOverheadBytes;
    if (
      batch.length > 0 &&
      (batch.length >= limits.maxEvents ||
        bytes + size > limits.maxBatchBytes ||
        event.timestamp - batch[0]!.timestamp >= limits.maxSpanMs)
    ) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
