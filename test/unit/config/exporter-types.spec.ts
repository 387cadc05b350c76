import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ENV_EXPORTER_NAMES,
  SPAN_EXPORTER_TYPES,
  type SpanExporterType,
} from '../../../lib/config/exporter-types.js';
import { resolveTracingConfig } from '../../../lib/config/tracing-config.js';
import type { SpanExporter } from '../../../lib/core/span-exporter.js';
import { ConsoleSpanExporter } from '../../../lib/export/spans/console-span-exporter.js';
import { FileSpanExporter } from '../../../lib/export/spans/file-span-exporter.js';
import { InMemorySpanExporter } from '../../../lib/export/spans/in-memory-span-exporter.js';
import { OtlpHttpExporter } from '../../../lib/export/spans/otlp/otlp-http-exporter.js';
import { ZipkinExporter } from '../../../lib/export/spans/zipkin/zipkin-exporter.js';
import type {
  BuiltInExporterConfig,
  BuiltInExporterOptions,
} from '../../../lib/interfaces/tracing-module-options.interface.js';
import { TRACING_EXPORTERS } from '../../../lib/tracing.constants.js';
import { MESSAGES } from '../../../lib/tracing.errors.js';
import { TracingModule } from '../../../lib/tracing.module.js';

const CLASS_OF: Record<SpanExporterType, abstract new (...args: never[]) => SpanExporter> = {
  console: ConsoleSpanExporter,
  memory: InMemorySpanExporter,
  file: FileSpanExporter,
  otlp: OtlpHttpExporter,
  jaeger: OtlpHttpExporter,
  zipkin: ZipkinExporter,
};

function entryOf(type: SpanExporterType): BuiltInExporterConfig {
  return type === 'file' ? { type, path: join(tmpdir(), 'exporter-types.jsonl') } : { type };
}

function messageOf(exporters: unknown): string {
  try {
    resolveTracingConfig({ exporters: exporters as never }, {});
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('the exporter type list is the one source', () => {
  it('is the options type: one union member per listed type', () => {
    expectTypeOf<BuiltInExporterConfig['type']>().toEqualTypeOf<SpanExporterType>();
    expectTypeOf<keyof BuiltInExporterOptions>().toEqualTypeOf<SpanExporterType>();
  });

  it('every message naming exporter types lists every type it accepts', () => {
    const badType = messageOf([{ type: 'jagger' }]);
    const badEntry = messageOf([42]);
    for (const type of SPAN_EXPORTER_TYPES) {
      expect(badType).toContain(`"${type}"`);
      expect(badEntry).toContain(`'${type}'`);
    }
    const unknownEnv = MESSAGES.exporterUnavailable('jagger');
    for (const name of ENV_EXPORTER_NAMES) expect(unknownEnv).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it('OTEL_TRACES_EXPORTER accepts each listed name, without a warning', () => {
    const config = resolveTracingConfig({}, { OTEL_TRACES_EXPORTER: ENV_EXPORTER_NAMES.join(',') });
    expect(config.warnings).toEqual([]);
    expect(config.exporters).toEqual(
      ENV_EXPORTER_NAMES.filter((name) => name !== 'none').map((type) => ({ type })),
    );
  });

  it('the options validator accepts every type', () => {
    const config = resolveTracingConfig({ exporters: SPAN_EXPORTER_TYPES.map(entryOf) }, {});
    expect(config.exporters).toHaveLength(SPAN_EXPORTER_TYPES.length);
  });

  it('the module builds every type', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TracingModule.forRoot({ exporters: SPAN_EXPORTER_TYPES.map(entryOf) })],
    }).compile();
    try {
      const exporters = moduleRef.get<SpanExporter[]>(TRACING_EXPORTERS);
      expect(exporters.map((e) => e.constructor)).toEqual(
        SPAN_EXPORTER_TYPES.map((type) => CLASS_OF[type]),
      );
    } finally {
      await moduleRef.close();
    }
  });

  it('the README lists every type and every OTEL_TRACES_EXPORTER name', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith('| `exporters`'));
    for (const type of SPAN_EXPORTER_TYPES) expect(row).toMatch(new RegExp(`type: [^}]*'${type}'`));
    const envList = /`OTEL_TRACES_EXPORTER` \(([^)]*)\)/.exec(row ?? '')?.[1];
    expect(envList?.split(', ')).toEqual(ENV_EXPORTER_NAMES.map((name) => `\`${name}\``));
  });
});
