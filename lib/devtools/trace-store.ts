import type { SpanProcessor } from '../core/span-processor.js';
import { SpanKind, TraceFlags, type ReadableSpan } from '../core/types.js';
import { CORRELATION_ID_ATTRIBUTE } from '../server/http-request.js';
import type {
  DevtoolsTraceList,
  DevtoolsTraceStatus,
  DevtoolsTraceSummary,
} from './interfaces/devtools-api.interface.js';
import { summarizeTrace } from './trace-view.js';

export interface TraceStoreOptions {
  /** Most traces kept; when full, the trace that arrived first is dropped. */
  maxTraces: number;
  /** Most spans kept per trace; later ones are counted as dropped. */
  maxSpansPerTrace: number;
  /**
   * Server spans of requests under this path are not kept: the viewer's own requests,
   * should one be traced anyway (they are ignored routes: this is a backstop).
   */
  ignorePath?: string;
}

/** Which traces `TraceStore.list` returns. Every filter is optional. */
export interface TraceQuery {
  status?: DevtoolsTraceStatus;
  /** Case-insensitive substring of a server span's route or path, or of the root's name. */
  route?: string;
  /** Exactly a span's `correlation.id`. */
  correlationId?: string;
  /** A trace id or its beginning, case-insensitive. */
  traceId?: string;
  /** Exactly one of the trace's `service.name`s. */
  service?: string;
  /** At most this many, newest first. */
  limit?: number;
}

/** Called with the ids of the traces that changed since the last call. */
export type TraceStoreListener = (traceIds: readonly string[]) => void;

interface TraceBucket {
  readonly traceId: string;
  readonly spans: ReadableSpan[];
  dropped: number;
  /** Derived on read, reset by every new span. */
  view: BucketView | undefined;
}

interface BucketView {
  readonly summary: DevtoolsTraceSummary;
  /** Lowercased routes, paths and root name, for the route filter. */
  readonly routes: readonly string[];
  readonly correlationIds: readonly string[];
}

/** Listeners hear of changes at most this often: a burst of spans is one update. */
const NOTIFY_DELAY_MS = 100;

/**
 * The viewer's bounded memory of recent traces, and the span processor that fills it.
 * `onEnd` is on the request path: it files the span in its trace's bucket and drops the
 * oldest trace when there are too many. Everything else happens when the page reads.
 */
export class TraceStore implements SpanProcessor {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  private readonly ignorePath: string | undefined;
  /** In arrival order of each trace's first span: the first entry is the oldest. */
  private readonly traces = new Map<string, TraceBucket>();
  private droppedTraces = 0;
  private readonly listeners = new Set<TraceStoreListener>();
  private changed = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(options: TraceStoreOptions) {
    this.maxTraces = options.maxTraces;
    this.maxSpansPerTrace = options.maxSpansPerTrace;
    this.ignorePath = options.ignorePath;
  }

  /** How many traces are held. */
  get size(): number {
    return this.traces.size;
  }

  onEnd(span: ReadableSpan): void {
    // Unsampled spans are recorded only for processors that count them; no exporter shows them.
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.ignorePath !== undefined && span.kind === SpanKind.SERVER && this.isIgnored(span)) {
      return;
    }
    this.file(span);
  }

  /** Files spans received from another service; a span already held is not filed twice. */
  addReceived(spans: readonly ReadableSpan[]): void {
    for (const span of spans) {
      const bucket = this.traces.get(span.traceId);
      if (bucket?.spans.some((held) => held.spanId === span.spanId)) continue;
      this.file(span);
    }
  }

  /** The summaries of the traces matching `query`, newest first. */
  list(query: TraceQuery = {}): DevtoolsTraceList {
    const traceIdPrefix = query.traceId?.toLowerCase();
    const route = query.route?.toLowerCase();
    const limit = query.limit ?? Infinity;
    const traces: DevtoolsTraceSummary[] = [];
    const buckets = [...this.traces.values()];
    for (let i = buckets.length - 1; i >= 0 && traces.length < limit; i--) {
      const bucket = buckets[i]!;
      if (traceIdPrefix !== undefined && !bucket.traceId.startsWith(traceIdPrefix)) continue;
      const view = this.viewOf(bucket);
      const summary = view.summary;
      if (query.status !== undefined && summary.status !== query.status) continue;
      if (query.service !== undefined && !summary.services.includes(query.service)) continue;
      if (query.correlationId !== undefined && !view.correlationIds.includes(query.correlationId)) {
        continue;
      }
      if (route !== undefined && !view.routes.some((r) => r.includes(route))) continue;
      traces.push(summary);
    }
    return {
      traces,
      total: this.traces.size,
      maxTraces: this.maxTraces,
      droppedTraces: this.droppedTraces,
    };
  }

  /** The spans held for a trace, in arrival order, and how many were dropped. */
  getTrace(
    traceId: string,
  ): { readonly spans: readonly ReadableSpan[]; readonly droppedSpans: number } | undefined {
    const bucket = this.traces.get(traceId);
    return bucket && { spans: bucket.spans.slice(), droppedSpans: bucket.dropped };
  }

  /** Forgets every trace (and the drop count); listeners hear of it as a change to none. */
  clear(): void {
    this.traces.clear();
    this.droppedTraces = 0;
    this.changed.clear();
    for (const listener of this.listeners) this.call(listener, []);
  }

  /** Hears of changed traces, batched; returns the unsubscribe function. */
  subscribe(listener: TraceStoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops notifying; what is held stays readable. */
  shutdown(): Promise<void> {
    this.listeners.clear();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.changed.clear();
    return Promise.resolve();
  }

  private file(span: ReadableSpan): void {
    let bucket = this.traces.get(span.traceId);
    if (bucket === undefined) {
      bucket = { traceId: span.traceId, spans: [], dropped: 0, view: undefined };
      this.traces.set(span.traceId, bucket);
      if (this.traces.size > this.maxTraces) {
        const oldest = this.traces.keys().next().value!;
        this.traces.delete(oldest);
        this.droppedTraces++;
      }
    }
    if (bucket.spans.length < this.maxSpansPerTrace) bucket.spans.push(span);
    else bucket.dropped++;
    bucket.view = undefined;
    if (this.listeners.size > 0) this.noteChange(span.traceId);
  }

  private noteChange(traceId: string): void {
    this.changed.add(traceId);
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.notify(), NOTIFY_DELAY_MS);
    // A pending notification must not keep the process alive.
    this.timer.unref();
  }

  private notify(): void {
    this.timer = undefined;
    const ids = [...this.changed];
    this.changed.clear();
    if (ids.length === 0) return;
    for (const listener of this.listeners) this.call(listener, ids);
  }

  private call(listener: TraceStoreListener, ids: readonly string[]): void {
    try {
      listener(ids);
    } catch {
      // A listener (an SSE client that went away) must not stop the others.
    }
  }

  private isIgnored(span: ReadableSpan): boolean {
    const path = span.attributes['url.path'];
    const base = this.ignorePath!;
    return typeof path === 'string' && (path === base || path.startsWith(base + '/'));
  }

  private viewOf(bucket: TraceBucket): BucketView {
    if (bucket.view !== undefined) return bucket.view;
    const summary = summarizeTrace(bucket.traceId, bucket.spans, bucket.dropped);
    const routes = [summary.rootName.toLowerCase()];
    const correlationIds: string[] = [];
    for (const span of bucket.spans) {
      const correlation = span.attributes[CORRELATION_ID_ATTRIBUTE];
      if (typeof correlation === 'string' && !correlationIds.includes(correlation)) {
        correlationIds.push(correlation);
      }
      if (span.kind !== SpanKind.SERVER) continue;
      for (const key of ['http.route', 'url.path']) {
        const value = span.attributes[key];
        if (typeof value === 'string') routes.push(value.toLowerCase());
      }
    }
    bucket.view = { summary, routes, correlationIds };
    return bucket.view;
  }
}
