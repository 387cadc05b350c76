import type { ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import {
  InMemorySpanExporter,
  type InMemorySpanExporterOptions,
} from '../export/spans/in-memory-span-exporter.js';
import { TRACING_EXPORTERS } from '../tracing.constants.js';

export type TracingTestingOptions = InMemorySpanExporterOptions;

/**
 * Replaces every exporter of the app's `TracingModule` (console, OTLP, your own classes,
 * `OTEL_TRACES_EXPORTER`) with one `InMemorySpanExporter`, exporting each span as it
 * ends. Read it with `app.get(InMemorySpanExporter)`. Samplers, processors and devtools
 * stay as configured. Returns the builder, to chain further overrides.
 */
export function overrideTracingExporters(
  builder: TestingModuleBuilder,
  options: TracingTestingOptions = {},
): TestingModuleBuilder {
  return builder.overrideProvider(TRACING_EXPORTERS).useValue([new InMemorySpanExporter(options)]);
}

/**
 * `Test.createTestingModule(metadata)` with every tracing exporter swapped for the
 * in-memory one (see `overrideTracingExporters`).
 */
export function createTracingTestingModule(
  metadata: ModuleMetadata,
  options: TracingTestingOptions = {},
): TestingModuleBuilder {
  return overrideTracingExporters(Test.createTestingModule(metadata), options);
}
