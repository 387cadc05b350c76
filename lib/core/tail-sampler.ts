import { now } from './clock.js';
import type { ExporterStats } from './exporter-stats.js';
import { SamplingDecision, type Sampler } from './samplers.js';
import type { SpanProcessor } from './span-processor.js';
import {
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type AttributeValue,
  type ReadableSpan,
  type Span,
} from './types.js';

/**
 * A rule matched against the local root span of a trace once it ends. Every field given must
 * match; a rule with no field matches nothing.
 */
export interface SpanRule {
  /** `http.route` of the root (e.g. `/users/:id`), or a RegExp tested against it. */
  route?: string | RegExp;
  /** `http.response.status_code` of the root: one code or any of several. */
  statusCode?: number | readonly number[];
  /** Attributes the root must carry, with these exact values. */
  attributes?: Readonly<Record<string, AttributeValue>>;
  /** Any test of the root and every span held for it; a throwing test does not match. */
  match?: (root: ReadableSpan, spans: readonly ReadableSpan[]) => boolean;
}

/** The resolved policy and bounds of a tail sampler. */
export interface TailSamplingPolicy {
  /** The head rule: decides what no other rule keeps, and whatever overflows a bound. */
  readonly headSampler: Sampler;
  /** Keep a trace with any span of error status. */
  readonly keepErrors: boolean;
  /** Keep a trace whose local root took longer than this (ms); undefined: no threshold. */
  readonly thresholdMs: number | undefined;
  /** Keep a trace whose local root matches any of these. */
  readonly keep: readonly SpanRule[];
  /** Drop a trace whose local root matches any of these (checked first: metrics still count it). */
  readonly drop: readonly SpanRule[];
  /** Traces held at once; a trace starting past it is decided by the head rule. */
  readonly maxTraces: number;
  /** Spans held per trace; spans past it are decided by the head rule. */
  readonly maxSpansPerTrace: number;
  /** Longest a trace is held (ms); past it, it is decided by the head rule. */
  readonly maxWaitMs: number;
}

export const DEFAULT_TAIL_BOUNDS = {
  maxTraces: 1000,
  maxSpansPerTrace: 500,
  maxWaitMs: 30_000,
} as const;

/** What the tail sampler has decided so far (self-telemetry, beside the exporters' stats). */
export interface TailSamplerStats extends ExporterStats {
  /** Spans the policy (or the head rule) did not keep: never exported. */
  sampledOut: number;
  /** Spans decided by the head rule because a bound was hit (traces, spans per trace, wait). */
  overflowed: number;
  /** Traces held right now, waiting for their local root to end. */
  heldTraces: number;
}

/** Why a held trace was decided. */
type Verdict = boolean;

/**
 * The spans of one trace held in this process, from its first local span. A trace may enter
 * the process more than once at a time (a caller making two calls in parallel): each entry is
 * a local root, and the trace is decided when the last one ends.
 */
class HeldTrace {
  readonly spans: ReadableSpan[] = [];
  readonly endedRoots: ReadableSpan[] = [];
  constructor(
    readonly traceId: string,
    readonly createdAt: number,
    /** Span ids of the local roots still open: nearly always one. */
    readonly openRoots: string[],
  ) {}
}

/**
 * Holds each trace's spans from its first local span until its local root ends, then decides
 * the whole local trace: drop rules, then errors, the duration threshold, keep rules, and
 * finally the head rule. Kept spans are handed to `downstream` (the export chain) as they
 * would have been; the rest are counted as sampled out. Processors before it (metrics, the
 * health window) have already seen every span.
 *
 * Memory is bounded: traces held, spans per trace, and time held. What overflows a bound is
 * decided by the head rule (on the trace id, so a trace's overflowing spans agree) and counted.
 */
export class TailSamplingProcessor implements SpanProcessor {
  private readonly held = new Map<string, HeldTrace>();
  // Recent decisions, for spans that end after their local root: two generations of at most
  // `maxTraces` each, the older one dropped whole when the newer fills (no per-entry eviction).
  private decided = new Map<string, Verdict>();
  private decidedBefore = new Map<string, Verdict>();
  private heldSpans = 0;
  private kept = 0;
  private sampledOut = 0;
  private overflowed = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly downstream: SpanProcessor,
    private readonly policy: TailSamplingPolicy,
  ) {}

  onStart(span: Span & ReadableSpan): void {
    if (
      !this.stopped &&
      (span.traceFlags & TraceFlags.SAMPLED) !== 0 &&
      (span.parentSpanId === undefined || span.parentIsRemote)
    ) {
      this.track(span);
    }
    this.downstream.onStart?.(span);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.traceFlags & TraceFlags.SAMPLED) === 0) {
      this.downstream.onEnd(span);
      return;
    }
    const trace = this.held.get(span.traceId);
    if (trace !== undefined) {
      const rootIndex = trace.openRoots.indexOf(span.spanId);
      if (rootIndex !== -1) {
        trace.openRoots.splice(rootIndex, 1);
        trace.spans.push(span);
        trace.endedRoots.push(span);
        this.heldSpans++;
        if (trace.openRoots.length === 0) {
          this.decide(
            trace,
            trace.endedRoots.some((root) => this.verdict(root, trace.spans)),
          );
        }
        return;
      }
      if (trace.spans.length < this.policy.maxSpansPerTrace) {
        trace.spans.push(span);
        this.heldSpans++;
        return;
      }
      this.overflowed++;
      this.pass(span, this.headRule(span));
      return;
    }
    const earlier = this.decided.get(span.traceId) ?? this.decidedBefore.get(span.traceId);
    if (earlier !== undefined) {
      this.pass(span, earlier);
      return;
    }
    // Not held: a trace that overflowed `maxTraces`, or spans outside any local root.
    this.overflowed++;
    this.pass(span, this.headRule(span));
  }

  forceFlush(): Promise<void> {
    // Still-open traces stay held: their root has not ended, so nothing is decided yet.
    return this.downstream.forceFlush();
  }

  shutdown(): Promise<void> {
    // Whatever is still held is decided by the head rule before the export chain shuts down.
    for (const trace of this.held.values()) this.decideOverflow(trace);
    this.stopped = true;
    this.stopSweep();
    return this.downstream.shutdown();
  }

  stats(): TailSamplerStats {
    return {
      exporter: 'TailSampler',
      exported: this.kept,
      dropped: 0,
      failed: 0,
      retried: 0,
      queueLength: this.heldSpans,
      sampledOut: this.sampledOut,
      overflowed: this.overflowed,
      heldTraces: this.held.size,
    };
  }

  /** A local root starts: its trace is held from now, or joins the part already held. */
  private track(root: ReadableSpan): void {
    const held = this.held.get(root.traceId);
    if (held !== undefined) {
      held.openRoots.push(root.spanId);
      return;
    }
    // The root's start time is a reading of the same clock: no second reading per request.
    if (this.held.size >= this.policy.maxTraces) this.sweep(root.startTime);
    if (this.held.size >= this.policy.maxTraces) return;
    // A new local part of a trace decided before (a later call from the same caller) is
    // held and decided afresh, on its own spans.
    const trace = new HeldTrace(root.traceId, root.startTime, [root.spanId]);
    this.held.set(root.traceId, trace);
    this.startSweep();
  }

  /** The policy's answer for a local trace whose root just ended. */
  verdict(root: ReadableSpan, spans: readonly ReadableSpan[]): boolean {
    const p = this.policy;
    if (p.drop.length !== 0 && p.drop.some((rule) => matches(rule, root, spans))) return false;
    if (p.keepErrors && spans.some((s) => s.status.code === SpanStatusCode.ERROR)) return true;
    if (p.thresholdMs !== undefined && root.durationMs > p.thresholdMs) return true;
    if (p.keep.length !== 0 && p.keep.some((rule) => matches(rule, root, spans))) return true;
    return this.headRule(root);
  }

  /**
   * The head rule, applied to the trace as if its local root had no parent: a trace-id ratio
   * gives every span of a trace (and every service using the same ratio) the same answer.
   */
  private headRule(span: ReadableSpan): boolean {
    return this.headRuleFor(span.traceId, span.name, span.kind, span.attributes);
  }

  private headRuleFor(
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: ReadableSpan['attributes'] | undefined,
  ): boolean {
    try {
      return (
        this.policy.headSampler.shouldSample(undefined, traceId, name, kind, attributes) ===
        SamplingDecision.RECORD_AND_SAMPLE
      );
    } catch {
      return false;
    }
  }

  private decide(trace: HeldTrace, keep: boolean): void {
    this.held.delete(trace.traceId);
    this.heldSpans -= trace.spans.length;
    this.remember(trace.traceId, keep);
    for (const span of trace.spans) this.pass(span, keep);
  }

  private decideOverflow(trace: HeldTrace): void {
    this.overflowed += trace.spans.length;
    // Nothing may have ended yet: the head rule then has the trace id alone.
    const first = trace.spans[0];
    this.decide(
      trace,
      first === undefined
        ? this.headRuleFor(trace.traceId, '', SpanKind.INTERNAL, undefined)
        : this.headRule(first),
    );
  }

  private remember(traceId: string, keep: boolean): void {
    if (this.decided.size >= this.policy.maxTraces) {
      this.decidedBefore = this.decided;
      this.decided = new Map();
    }
    this.decided.set(traceId, keep);
  }

  private pass(span: ReadableSpan, keep: boolean): void {
    if (!keep) {
      this.sampledOut++;
      return;
    }
    this.kept++;
    try {
      this.downstream.onEnd(span);
    } catch {
      // The export chain never throws by contract; a broken one must not break the request.
    }
  }

  /** Decides, by the head rule, every trace held longer than `maxWaitMs`. */
  private sweep(at: number): void {
    for (const trace of this.held.values()) {
      if (at - trace.createdAt < this.policy.maxWaitMs) break;
      this.decideOverflow(trace);
    }
  }

  private startSweep(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(10, Math.min(1000, this.policy.maxWaitMs / 2));
    // Stopped by its own tick once nothing is held: starting and clearing a timer per request
    // would cost more than the rest of the tail sampler.
    this.timer = setInterval(() => {
      this.sweep(now());
      if (this.held.size === 0) this.stopSweep();
    }, every);
    this.timer.unref();
  }

  private stopSweep(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

function matches(rule: SpanRule, root: ReadableSpan, spans: readonly ReadableSpan[]): boolean {
  let tested = false;
  if (rule.route !== undefined) {
    const route = root.attributes['http.route'];
    if (typeof route !== 'string') return false;
    if (typeof rule.route === 'string' ? route !== rule.route : !testRegExp(rule.route, route)) {
      return false;
    }
    tested = true;
  }
  if (rule.statusCode !== undefined) {
    const status = root.attributes['http.response.status_code'];
    const codes = rule.statusCode;
    if (typeof codes === 'number' ? status !== codes : !codes.includes(status as number)) {
      return false;
    }
    tested = true;
  }
  if (rule.attributes !== undefined) {
    for (const [key, value] of Object.entries(rule.attributes)) {
      if (root.attributes[key] !== value) return false;
    }
    tested = true;
  }
  if (rule.match !== undefined) {
    try {
      if (rule.match(root, spans) !== true) return false;
    } catch {
      return false;
    }
    tested = true;
  }
  return tested;
}

function testRegExp(re: RegExp, value: string): boolean {
  re.lastIndex = 0;
  return re.test(value);
}
