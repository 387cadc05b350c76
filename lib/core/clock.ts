/**
 * Span times are `performance.now()` readings: one cheap call on the hot path, with
 * sub-microsecond resolution. They become epoch nanoseconds only when exported.
 */
import { performance } from 'node:perf_hooks';

const ORIGIN_NS = BigInt(Math.round(performance.timeOrigin * 1000)) * 1000n;

export function now(): number {
  return performance.now();
}

/** A Date or epoch milliseconds as a high-resolution time. */
export function toHrTime(time: Date | number): number {
  const epochMs = typeof time === 'number' ? time : time.getTime();
  return epochMs - performance.timeOrigin;
}

/** High-resolution time to epoch nanoseconds. */
export function hrTimeToUnixNanos(time: number): bigint {
  return ORIGIN_NS + BigInt(Math.round(time * 1e6));
}

/** High-resolution time to epoch microseconds (Zipkin's unit); exact within 2^53. */
export function hrTimeToUnixMicros(time: number): number {
  return Math.round((performance.timeOrigin + time) * 1000);
}

/** High-resolution time to epoch milliseconds. */
export function hrTimeToUnixMillis(time: number): number {
  return performance.timeOrigin + time;
}
