import type { ExporterStats } from '../core/exporter-stats.js';
import { MultiSpanProcessor, NOOP_PROCESSOR } from '../core/multi-span-processor.js';
import type { SpanProcessor } from '../core/span-processor.js';
import { TailSamplingProcessor, type TailSamplingPolicy } from '../core/tail-sampler.js';
import type { ExportWrapper } from './tracing-feature.js';

/** The parts of the tracer's processor, in the order spans meet them. */
export interface SpanPipelineParts {
  /** See every ended span first (metrics, the trace store). */
  readonly processors: readonly SpanProcessor[];
  /** The export chain: processors that ship spans (the exporters' pipelines among them). */
  readonly exportProcessors: readonly SpanProcessor[];
  /** Applied in order around the export chain; the last one sees spans first. */
  readonly exportWrappers: readonly ExportWrapper[];
  /**
   * Tail sampling, innermost around the export chain: the processors above (metrics, the
   * trace store) and the export wrappers (span collapse) still see every span first.
   */
  readonly tailSampling?: TailSamplingPolicy | undefined;
}

/**
 * A fan-out whose export chain may sit behind a wrapper: the self-telemetry still lists
 * every pipeline of the chain, as if it were not wrapped.
 */
class WrappedSpanPipeline extends MultiSpanProcessor {
  constructor(
    processors: readonly SpanProcessor[],
    private readonly measured: readonly SpanProcessor[],
  ) {
    super(processors);
  }

  override allStats(): ExporterStats[] {
    return this.measured.flatMap((p) => (p.stats ? [p.stats()] : []));
  }
}

/**
 * The tracer's processor. Without wrappers it is one flat fan-out, as cheap as it gets;
 * with them, the export chain is reached through the wrappers only. With nothing to
 * export, wrappers have nothing to decide and are left out.
 */
export function createSpanPipeline(parts: SpanPipelineParts): SpanProcessor {
  const { processors, exportProcessors, exportWrappers, tailSampling } = parts;
  if (
    (exportWrappers.length === 0 && tailSampling === undefined) ||
    exportProcessors.length === 0
  ) {
    const all = [...processors, ...exportProcessors];
    return all.length === 0 ? NOOP_PROCESSOR : new MultiSpanProcessor(all);
  }
  const chain =
    exportProcessors.length === 1 ? exportProcessors[0]! : new MultiSpanProcessor(exportProcessors);
  const tail =
    tailSampling === undefined ? undefined : new TailSamplingProcessor(chain, tailSampling);
  const wrapped = exportWrappers.reduce<SpanProcessor>(
    (downstream, wrapper) => wrapper.wrapExport(downstream),
    tail ?? chain,
  );
  const measured = [...processors, ...(tail === undefined ? [] : [tail]), ...exportProcessors];
  return new WrappedSpanPipeline([...processors, wrapped], measured);
}
