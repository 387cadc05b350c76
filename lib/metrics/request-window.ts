/** What the sliding window holds at one moment. */
export interface RequestWindowStats {
  requests: number;
  errors: number;
  /** errors / requests, 0 without requests. */
  errorRate: number;
  averageLatencyMs: number;
  /** Estimated from buckets 10% wide: within 10% of the true value, never above the maximum. */
  p95LatencyMs: number;
  /** Traces that started or entered this service. */
  traces: number;
}

const SLOTS = 12;
// Latency buckets grow by 10%: the p95 estimate is off by at most half a bucket.
const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);
const SMALLEST_MS = 0.01;
const BUCKETS = Math.ceil(Math.log(3_600_000 / SMALLEST_MS) / LOG_GROWTH) + 1;

/**
 * Counts requests, errors, latencies and traces over the last `windowMs`, kept in 12
 * time slots that are reused as time moves on: recording is a few array writes, memory
 * is fixed, and a slot older than the window is never read. Times are the spans'
 * high-resolution milliseconds (`performance.now()`), so recording reads no clock.
 */
export class RequestWindow {
  private readonly slotMs: number;
  private readonly slotIds = new Float64Array(SLOTS).fill(-1);
  private readonly requests = new Float64Array(SLOTS);
  private readonly errors = new Float64Array(SLOTS);
  private readonly latencySum = new Float64Array(SLOTS);
  private readonly latencyMax = new Float64Array(SLOTS);
  private readonly traces = new Float64Array(SLOTS);
  private readonly latencyBuckets = new Uint32Array(SLOTS * BUCKETS);

  constructor(readonly windowMs = 60_000) {
    this.slotMs = windowMs / SLOTS;
  }

  /** A finished request (server or consumer span) that ended at `endTime`. */
  recordRequest(endTime: number, durationMs: number, failed: boolean): void {
    const i = this.slot(endTime);
    this.requests[i]!++;
    if (failed) this.errors[i]!++;
    this.latencySum[i]! += durationMs;
    if (durationMs > this.latencyMax[i]!) this.latencyMax[i] = durationMs;
    this.latencyBuckets[i * BUCKETS + bucketOf(durationMs)]!++;
  }

  /** A trace that started (or entered from another process) here. */
  recordTrace(endTime: number): void {
    this.traces[this.slot(endTime)]!++;
  }

  stats(now: number = performance.now()): RequestWindowStats {
    const current = Math.floor(now / this.slotMs);
    let requests = 0;
    let errors = 0;
    let latencySum = 0;
    let latencyMax = 0;
    let traces = 0;
    const merged = new Float64Array(BUCKETS);
    for (let i = 0; i < SLOTS; i++) {
      const id = this.slotIds[i]!;
      if (id < 0 || id <= current - SLOTS || id > current) continue;
      requests += this.requests[i]!;
      errors += this.errors[i]!;
      latencySum += this.latencySum[i]!;
      latencyMax = Math.max(latencyMax, this.latencyMax[i]!);
      traces += this.traces[i]!;
      for (let b = 0; b < BUCKETS; b++) merged[b]! += this.latencyBuckets[i * BUCKETS + b]!;
    }
    return {
      requests,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      averageLatencyMs: requests === 0 ? 0 : latencySum / requests,
      p95LatencyMs: Math.min(quantile(merged, requests, 0.95), latencyMax),
      traces,
    };
  }

  /** The slot for `time`, emptied first when it still holds an older period. */
  private slot(time: number): number {
    const id = Math.floor(time / this.slotMs);
    const i = id % SLOTS;
    if (this.slotIds[i] !== id) {
      this.slotIds[i] = id;
      this.requests[i] = 0;
      this.errors[i] = 0;
      this.latencySum[i] = 0;
      this.latencyMax[i] = 0;
      this.traces[i] = 0;
      this.latencyBuckets.fill(0, i * BUCKETS, (i + 1) * BUCKETS);
    }
    return i;
  }
}

function bucketOf(ms: number): number {
  if (!(ms > SMALLEST_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / SMALLEST_MS) / LOG_GROWTH));
}

function upperBound(bucket: number): number {
  return SMALLEST_MS * GROWTH ** bucket;
}

/** The q-quantile, interpolated linearly inside the bucket that holds it. */
function quantile(buckets: Float64Array, count: number, q: number): number {
  if (count === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let b = 0; b < buckets.length; b++) {
    const n = buckets[b]!;
    if (n === 0) continue;
    if (seen + n >= rank) {
      const lower = b === 0 ? 0 : upperBound(b - 1);
      return lower + (upperBound(b) - lower) * ((rank - seen) / n);
    }
    seen += n;
  }
  return upperBound(buckets.length - 1);
}
