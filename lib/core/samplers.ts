import { TraceFlags, type AttributesInput, type SpanContext, type SpanKind } from './types.js';

export const SamplingDecision = {
  /** Not recorded, not exported; the span still has ids and propagates unsampled. */
  DROP: 0,
  /** Recorded in process (attributes, events) but not exported. */
  RECORD_ONLY: 1,
  RECORD_AND_SAMPLE: 2,
} as const;
export type SamplingDecision = (typeof SamplingDecision)[keyof typeof SamplingDecision];

/** Decides, once per span at its start, whether it is recorded and exported. */
export interface Sampler {
  shouldSample(
    parent: SpanContext | undefined,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: AttributesInput | undefined,
  ): SamplingDecision;
  toString(): string;
}

export interface SamplingParameters {
  parent: SpanContext | undefined;
  traceId: string;
  name: string;
  kind: SpanKind;
  attributes: AttributesInput | undefined;
}

/** A user's sampling function: true samples, false drops, or an explicit decision. */
export type SamplerFunction = (params: SamplingParameters) => boolean | SamplingDecision;

export class AlwaysOnSampler implements Sampler {
  shouldSample(): SamplingDecision {
    return SamplingDecision.RECORD_AND_SAMPLE;
  }
  toString(): string {
    return 'AlwaysOnSampler';
  }
}

export class AlwaysOffSampler implements Sampler {
  shouldSample(): SamplingDecision {
    return SamplingDecision.DROP;
  }
  toString(): string {
    return 'AlwaysOffSampler';
  }
}

/**
 * Samples a fixed share of traces, decided by the trace id alone so every service that
 * uses the same ratio agrees. Uses the right-most 56 bits of the trace id as the
 * randomness (the part W3C Level 2's random flag vouches for) against the threshold
 * (1 - ratio) * 2^56, as in OpenTelemetry's consistent probability sampling.
 */
export class TraceIdRatioBasedSampler implements Sampler {
  private readonly threshold: string;

  constructor(readonly ratio: number) {
    if (typeof ratio !== 'number' || Number.isNaN(ratio) || ratio < 0 || ratio > 1) {
      throw new RangeError(`sampler ratio must be a number from 0 to 1, got ${String(ratio)}`);
    }
    const max = 1n << 56n;
    // Fixed-width hex compares like the integer it encodes, so no BigInt on the hot path.
    const t = ratio === 0 ? max : BigInt(Math.round((1 - ratio) * Number(max)));
    this.threshold = t >= max ? '' : t.toString(16).padStart(14, '0');
  }

  shouldSample(_parent: SpanContext | undefined, traceId: string): SamplingDecision {
    if (this.threshold === '') return SamplingDecision.DROP;
    return traceId.slice(18) >= this.threshold
      ? SamplingDecision.RECORD_AND_SAMPLE
      : SamplingDecision.DROP;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.ratio}}`;
  }
}

/** Follows the parent's sampled flag; roots go to the root sampler. */
export class ParentBasedSampler implements Sampler {
  constructor(
    private readonly root: Sampler,
    private readonly remoteSampled: Sampler = ALWAYS_ON,
    private readonly remoteNotSampled: Sampler = ALWAYS_OFF,
    private readonly localSampled: Sampler = ALWAYS_ON,
    private readonly localNotSampled: Sampler = ALWAYS_OFF,
  ) {}

  /** Whether every child of a parent that was not sampled is dropped (the default). */
  get dropsChildrenOfUnsampled(): boolean {
    return (
      this.remoteNotSampled instanceof AlwaysOffSampler &&
      this.localNotSampled instanceof AlwaysOffSampler
    );
  }

  shouldSample(
    parent: SpanContext | undefined,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: AttributesInput | undefined,
  ): SamplingDecision {
    let delegate: Sampler;
    if (parent === undefined) delegate = this.root;
    else if (parent.isRemote) {
      delegate =
        parent.traceFlags & TraceFlags.SAMPLED ? this.remoteSampled : this.remoteNotSampled;
    } else {
      delegate = parent.traceFlags & TraceFlags.SAMPLED ? this.localSampled : this.localNotSampled;
    }
    return delegate.shouldSample(parent, traceId, name, kind, attributes);
  }

  toString(): string {
    return `ParentBased{root=${this.root.toString()}}`;
  }
}

/** Adapts a user's function; a throwing function drops the span rather than the request. */
export class FunctionSampler implements Sampler {
  constructor(private readonly fn: SamplerFunction) {}

  shouldSample(
    parent: SpanContext | undefined,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: AttributesInput | undefined,
  ): SamplingDecision {
    let result: boolean | SamplingDecision;
    try {
      result = this.fn({ parent, traceId, name, kind, attributes });
    } catch {
      return SamplingDecision.DROP;
    }
    if (result === true) return SamplingDecision.RECORD_AND_SAMPLE;
    if (result === false) return SamplingDecision.DROP;
    return result === SamplingDecision.RECORD_ONLY || result === SamplingDecision.RECORD_AND_SAMPLE
      ? result
      : SamplingDecision.DROP;
  }

  toString(): string {
    return 'FunctionSampler';
  }
}

const ALWAYS_ON = new AlwaysOnSampler();
const ALWAYS_OFF = new AlwaysOffSampler();

export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/**
 * A sampler from its OTEL_TRACES_SAMPLER name and argument. The ratio defaults to 1,
 * as the OpenTelemetry environment specification says.
 */
export function createSampler(name: string, arg?: number): Sampler {
  const ratio = arg ?? 1;
  switch (name) {
    case 'always_on':
      return ALWAYS_ON;
    case 'always_off':
      return ALWAYS_OFF;
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler(ALWAYS_ON);
    case 'parentbased_always_off':
      return new ParentBasedSampler(ALWAYS_OFF);
    case 'parentbased_traceidratio':
      return new ParentBasedSampler(new TraceIdRatioBasedSampler(ratio));
    default:
      throw new Error(
        `sampler: unknown sampler "${name}"; expected one of ${SAMPLER_NAMES.join(', ')}`,
      );
  }
}
