import type { TimeInput as ApiTimeInput } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import type { TimeInput } from '../core/types.js';

// The OpenTelemetry API's times: [seconds, nanoseconds] since the epoch, epoch milliseconds,
// milliseconds since the process's time origin (performance.now()), or a Date.
const EPOCH_MS_FLOOR = 1e12; // 2001: a smaller number is a performance.now() reading

/** An API time as ours (epoch milliseconds or a Date). */
export function toTime(time: ApiTimeInput | undefined): TimeInput | undefined {
  if (time === undefined || time === null) return undefined;
  if (Array.isArray(time)) return time[0] * 1000 + time[1] / 1e6;
  if (typeof time === 'number') return time < EPOCH_MS_FLOOR ? performance.timeOrigin + time : time;
  return time instanceof Date ? time : undefined;
}
