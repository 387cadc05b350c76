import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { InMemorySpanExporter } from '../../lib/index.js';
import { Tracer } from '../../lib/core/tracer.js';
import type { SpanProcessor } from '../../lib/core/span-processor.js';
import type { ExportWrapper, TracingFeature } from '../../lib/config/tracing-feature.js';
import { TRACING_MODULE_OPTIONS } from '../../lib/tracing.module-definition.js';
import { featureStageProviders, tracingProviders } from '../../lib/tracing.providers.js';

// The tracer takes each stage of the span pipeline from its own named token, so a feature's
// processors join the stage its contract names wherever the feature sits in the list.

/** A processor that writes down the spans it sees, under its label. */
function recording(label: string, log: string[]): SpanProcessor {
  return {
    onEnd: (span) => log.push(`${label} ${span.name}`),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/** A wrapper that notes each span it is handed, then passes it on. */
function noting(label: string, log: string[]): ExportWrapper {
  return {
    wrapExport: (downstream) => ({
      onEnd: (span) => {
        log.push(`${label} ${span.name}`);
        downstream.onEnd(span);
      },
      forceFlush: () => downstream.forceFlush(),
      shutdown: () => downstream.shutdown(),
    }),
  };
}

type Stage = 'processorsToken' | 'exportProcessorsToken' | 'exportWrapperToken';

/** A feature giving one stage one contribution, under a token of its own. */
function feature(label: string, stage: Stage, log: string[]): TracingFeature {
  const token = Symbol(label);
  const value = stage === 'exportWrapperToken' ? noting(label, log) : [recording(label, log)];
  return { providers: [{ provide: token, useValue: value }], [stage]: token };
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const LABELS = ['metrics', 'store', 'logs', 'collapse'] as const;

describe('TracingModule providers', () => {
  it.each(permutations(LABELS).map((order) => [order.join(', '), order]))(
    'puts each feature in the stage its tokens name, in list order within it: %s',
    async (_name, order) => {
      const log: string[] = [];
      const stages: Record<(typeof LABELS)[number], Stage> = {
        metrics: 'processorsToken',
        store: 'processorsToken',
        logs: 'exportProcessorsToken',
        collapse: 'exportWrapperToken',
      };
      const features = order.map((label) => feature(label, stages[label], log));
      const moduleRef = await Test.createTestingModule({
        providers: [
          { provide: TRACING_MODULE_OPTIONS, useValue: { exporters: [{ type: 'memory' }] } },
          ...tracingProviders,
          // The same tokens as the module's own stage providers: these replace them.
          ...featureStageProviders(features),
          ...features.flatMap((f) => f.providers ?? []),
        ],
      }).compile();
      try {
        moduleRef.get(Tracer).startSpan('GET /').end();
        const processors = order.filter((label) => stages[label] === 'processorsToken');
        // Processors first, then the wrapper, then the export chain it wraps.
        expect(log).toEqual([
          ...processors.map((p) => `${p} GET /`),
          'collapse GET /',
          'logs GET /',
        ]);
        const exported = moduleRef.get(InMemorySpanExporter).getFinishedSpans();
        expect(exported.map((s) => s.name)).toEqual(['GET /']);
      } finally {
        await moduleRef.close();
      }
    },
  );
});
