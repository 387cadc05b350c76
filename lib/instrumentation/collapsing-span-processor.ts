import { RandomIdGenerator } from '../core/id-generator.js';
import type { SpanProcessor } from '../core/span-processor.js';
import { TraceFlags, type ReadableSpan, type Span } from '../core/types.js';
import type { CollapseRulesSource } from './collapse-rules.js';
import { collapseSiblings } from './collapse-siblings.js';

/** The spans of one local request (a root span and its local descendants). */
class TraceBuffer {
  held: ReadableSpan[] = [];
  released = false;
  constructor(
    readonly root: ReadableSpan,
    readonly createdAt: number,
  ) {}
}

/**
 * Stands before the export chain (`downstream`) and holds each request's spans until
 * its root span ends, then hands on what is worth keeping: runs of more than
 * `threshold` sibling spans with one name are cut to the slowest `keep` and the errored
 * ones, plus one summary span with their count and summed duration; a root matching
 * `keepOnlyRoot` is exported alone.
 *
 * Spans it does not hold (unsampled, outside a request, or while collapsing is off) go
 * straight on. Spans are never changed. Memory is bounded per request, in total and in
 * time; a request past a bound is handed on as it is, and `forceFlush` / `shutdown`
 * hand on everything held before flushing downstream.
 */
export class CollapsingSpanProcessor implements SpanProcessor {
  private readonly bySpanId = new Map<string, TraceBuffer>();
  // Insertion order is age order: the sweep and the total bound release the oldest first.
  private readonly buffers = new Set<TraceBuffer>();
  private heldCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly ids = new RandomIdGenerator();

  /** `source.rules` is read as spans start: rules set later apply from then on. */
  constructor(
    private readonly downstream: SpanProcessor,
    private readonly source: CollapseRulesSource,
  ) {}

  onStart(span: Span & ReadableSpan): void {
    if (this.source.rules !== undefined && !this.stopped) this.track(span);
    this.downstream.onStart?.(span);
  }

  onEnd(span: ReadableSpan): void {
    if (this.bySpanId.size !== 0 && this.hold(span)) return;
    this.downstream.onEnd(span);
  }

  forceFlush(): Promise<void> {
    // Deleting the entry being visited is safe while iterating a Set.
    for (const buffer of this.buffers) this.release(buffer, false);
    return this.downstream.forceFlush();
  }

  shutdown(): Promise<void> {
    // Handed on before the export chain is shut down.
    for (const buffer of this.buffers) this.release(buffer, false);
    this.stopped = true;
    this.stopSweep();
    return this.downstream.shutdown();
  }

  /** Spans held right now (for tests and self-telemetry). */
  get held(): number {
    return this.heldCount;
  }

  private track(span: Span & ReadableSpan): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) return;
    const parentId = span.parentSpanId;
    if (parentId === undefined || span.parentIsRemote) {
      const buffer = new TraceBuffer(span, performance.now());
      this.bySpanId.set(span.spanId, buffer);
      this.buffers.add(buffer);
      this.startSweep();
      return;
    }
    const buffer = this.bySpanId.get(parentId);
    if (buffer !== undefined && !buffer.released) this.bySpanId.set(span.spanId, buffer);
  }

  /** True when the span is held; otherwise it goes on, after what its end released. */
  private hold(span: ReadableSpan): boolean {
    const buffer = this.bySpanId.get(span.spanId);
    if (buffer === undefined) return false;
    this.bySpanId.delete(span.spanId);
    if (buffer.released) return false;
    if (span === buffer.root) {
      this.release(buffer, true);
      return false;
    }
    const rules = this.source.rules!;
    if (buffer.held.length >= rules.maxSpansPerTrace) {
      // Past the bound the request is exported as it is, this span with it.
      this.release(buffer, false);
      return false;
    }
    buffer.held.push(span);
    if (++this.heldCount > rules.maxHeldSpans) this.releaseOldest();
    return true;
  }

  private release(buffer: TraceBuffer, rootEnded: boolean): void {
    buffer.released = true;
    this.buffers.delete(buffer);
    const held = buffer.held;
    buffer.held = [];
    this.heldCount -= held.length;
    if (held.length === 0) return;
    const rules = this.source.rules!;
    if (rootEnded && rules.keepOnlyRoot !== undefined && safeTest(rules.keepOnlyRoot, buffer.root))
      return;
    for (const span of collapseSiblings(held, rules, this.ids)) {
      try {
        this.downstream.onEnd(span);
      } catch {
        // A processor's onEnd must not throw; one that does must not cost the other spans.
      }
    }
  }

  private releaseOldest(): void {
    const rules = this.source.rules!;
    for (const buffer of this.buffers) {
      if (this.heldCount <= rules.maxHeldSpans) return;
      this.release(buffer, false);
    }
  }

  private startSweep(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(10, Math.min(1000, this.source.rules!.maxHoldMs));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  private stopSweep(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sweep(): void {
    // The timer outlives single requests (arming one per request costs more than the
    // request's spans); it stops when a sweep finds nothing held.
    if (this.buffers.size === 0) {
      this.stopSweep();
      return;
    }
    const limit = performance.now() - this.source.rules!.maxHoldMs;
    for (const buffer of this.buffers) {
      if (buffer.createdAt > limit) return;
      this.release(buffer, false);
    }
  }
}

function safeTest(fn: (root: ReadableSpan) => boolean, root: ReadableSpan): boolean {
  try {
    return fn(root) === true;
  } catch {
    return false;
  }
}
