import {
  ExportResultCode,
  SUCCESS,
  type ExportResult,
  type SpanExporter,
} from '../../core/span-exporter.js';
import type { ReadableSpan } from '../../core/types.js';
import { formatJsonLines, formatTraceTree, type TraceTreeOptions } from './console-format.js';

export interface ConsoleSpanExporterOptions {
  /** `tree` (default): one readable tree per trace. `json`: one JSON object per span per line. */
  format?: 'tree' | 'json';
  /** Where text goes. Default `process.stdout.write`; a custom writer never gets colour codes. */
  write?: (text: string) => void;
  /** Attribute keys shown on tree lines besides the default HTTP/RPC/messaging ones. */
  attributeKeys?: string[];
  /** Most spans held while waiting for their trace's local root to end. Default 1_000. */
  maxPendingSpans?: number;
}

const DEFAULT_MAX_PENDING_SPANS = 1_000;
// Remembers printed span ids so a child that ends after its parent was printed is shown
// at once instead of waiting for a root that already came.
const MAX_PRINTED_IDS = 10_000;
const EXPORTED = Promise.resolve(SUCCESS);

/** Prints spans to stdout (or any writer): a development aid, not a production backend. */
export class ConsoleSpanExporter implements SpanExporter {
  private readonly format: 'tree' | 'json';
  private readonly write: (text: string) => void;
  private readonly treeOptions: TraceTreeOptions;
  private readonly maxPendingSpans: number;
  /** Spans waiting for their local root, by trace id; Map order puts the oldest trace first. */
  private readonly pending = new Map<string, ReadableSpan[]>();
  private pendingCount = 0;
  private readonly printed = new Set<string>();
  private stopped = false;

  constructor(options: ConsoleSpanExporterOptions = {}) {
    const format = options.format ?? 'tree';
    if (format !== 'tree' && format !== 'json') {
      throw new Error(
        `ConsoleSpanExporter: option "format" must be 'tree' or 'json', got ${String(format)}`,
      );
    }
    const maxPendingSpans = options.maxPendingSpans ?? DEFAULT_MAX_PENDING_SPANS;
    if (!Number.isInteger(maxPendingSpans) || maxPendingSpans < 1) {
      throw new Error(
        `ConsoleSpanExporter: option "maxPendingSpans" must be a positive integer, got ${String(maxPendingSpans)}`,
      );
    }
    this.format = format;
    this.maxPendingSpans = maxPendingSpans;
    this.write = options.write ?? ((text) => void process.stdout.write(text));
    this.treeOptions = {
      attributeKeys: options.attributeKeys,
      color: options.write === undefined && process.stdout.isTTY === true && !process.env.NO_COLOR,
    };
  }

  /** How many spans are buffered waiting for their trace's root. */
  get pendingSpans(): number {
    return this.pendingCount;
  }

  export(spans: readonly ReadableSpan[]): Promise<ExportResult> {
    if (this.stopped) {
      return Promise.resolve({
        code: ExportResultCode.FAILED,
        error: new Error('ConsoleSpanExporter: export called after shutdown'),
      });
    }
    try {
      const text = this.format === 'json' ? formatJsonLines(spans) : this.collectTrees(spans);
      if (text !== '') this.write(text);
      return EXPORTED;
    } catch (error) {
      return Promise.resolve({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  }

  /** Prints every pending span, grouped by trace, even if its root never arrived. */
  forceFlush(): Promise<void> {
    let text = '';
    // Deleting the entry being visited is safe while iterating a Map.
    for (const traceId of this.pending.keys()) text += this.takeTrace(traceId);
    // The console is best effort: a closed stdout must not fail the app's shutdown.
    try {
      if (text !== '') this.write(text);
    } catch {
      // nothing left to report to
    }
    return Promise.resolve();
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.forceFlush();
    this.stopped = true;
  }

  private collectTrees(spans: readonly ReadableSpan[]): string {
    let text = '';
    for (const span of spans) {
      const list = this.pending.get(span.traceId);
      if (list === undefined) this.pending.set(span.traceId, [span]);
      else list.push(span);
      this.pendingCount++;
      if (this.completesSubtree(span)) text += this.takeSubtree(span);
    }
    // Orphans whose root never comes (unsampled, lost, still running) must not pile up.
    while (this.pendingCount > this.maxPendingSpans) {
      const oldest = this.pending.keys().next().value;
      if (oldest === undefined) break;
      text += this.takeTrace(oldest);
    }
    return text;
  }

  /** A local root (no parent, or a parent in another process), or a child of a span already printed. */
  private completesSubtree(span: ReadableSpan): boolean {
    const parent = span.parentSpanId;
    return parent === undefined || span.parentIsRemote || this.printed.has(parent);
  }

  /** Removes `root` and its pending descendants and renders them. */
  private takeSubtree(root: ReadableSpan): string {
    const list = this.pending.get(root.traceId)!;
    const children = new Map<string, ReadableSpan[]>();
    for (const span of list) {
      if (span.parentSpanId === undefined || span === root) continue;
      const siblings = children.get(span.parentSpanId);
      if (siblings === undefined) children.set(span.parentSpanId, [span]);
      else siblings.push(span);
    }
    const taken = new Set<ReadableSpan>([root]);
    const queue = [root];
    for (let i = 0; i < queue.length; i++) {
      for (const child of children.get(queue[i]!.spanId) ?? []) {
        if (taken.has(child)) continue;
        taken.add(child);
        queue.push(child);
      }
    }
    const kept = list.filter((span) => !taken.has(span));
    if (kept.length === 0) this.pending.delete(root.traceId);
    else this.pending.set(root.traceId, kept);
    this.pendingCount -= taken.size;
    return this.render(queue);
  }

  private takeTrace(traceId: string): string {
    const list = this.pending.get(traceId) ?? [];
    this.pending.delete(traceId);
    this.pendingCount -= list.length;
    return this.render(list);
  }

  private render(spans: readonly ReadableSpan[]): string {
    if (spans.length === 0) return '';
    for (const span of spans) this.printed.add(span.spanId);
    while (this.printed.size > MAX_PRINTED_IDS) {
      this.printed.delete(this.printed.values().next().value!);
    }
    // A blank line after each trace keeps consecutive trees apart.
    return formatTraceTree(spans, this.treeOptions) + '\n\n';
  }
}
