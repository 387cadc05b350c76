import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spanToJson, type SpanJson } from '../../../../lib/export/spans/console-format.js';
import {
  FileSpanExporter,
  type FileSpanExporterOptions,
} from '../../../../lib/export/spans/file-span-exporter.js';
import { InMemorySpanExporter } from '../../../../lib/export/spans/in-memory-span-exporter.js';
import { SimpleSpanProcessor } from '../../../../lib/core/simple-span-processor.js';
import { ExportResultCode } from '../../../../lib/core/span-exporter.js';
import { Tracer } from '../../../../lib/core/tracer.js';
import { SpanKind, SpanStatusCode, type ReadableSpan } from '../../../../lib/core/types.js';

/** Real spans, ended through the real tracer and processor into memory. */
function makeSpans(count: number, padding = 0): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new Tracer({
    processor: new SimpleSpanProcessor(memory),
    resource: { attributes: { 'service.name': 'orders' } },
  });
  for (let i = 0; i < count; i++) {
    tracer.startSpan(`span-${i}`, { attributes: { pad: 'x'.repeat(padding) } }).end();
  }
  return memory.getFinishedSpans();
}

function lineOf(span: ReadableSpan): string {
  return JSON.stringify(spanToJson(span)) + '\n';
}

async function readLines(file: string): Promise<SpanJson[]> {
  const text = await readFile(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as SpanJson);
}

describe('FileSpanExporter', () => {
  let dir: string;
  let file: string;
  const exporters: FileSpanExporter[] = [];

  function exporterFor(options: Partial<FileSpanExporterOptions> = {}): FileSpanExporter {
    const exporter = new FileSpanExporter({ path: file, ...options });
    exporters.push(exporter);
    return exporter;
  }

  /** The base file and its rotations, oldest first; fails on a gap or a stray file. */
  async function filesOldestFirst(): Promise<string[]> {
    const names = await readdir(dir);
    const expected = names.map((_, i) => (i === 0 ? 'spans.jsonl' : `spans.jsonl.${i}`));
    expect(names.toSorted()).toEqual(expected.toSorted());
    return expected.toReversed().map((name) => join(dir, name));
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-span-exporter-'));
    file = join(dir, 'spans.jsonl');
  });

  afterEach(async () => {
    await Promise.all(exporters.splice(0).map((exporter) => exporter.shutdown()));
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one JSON line per span in the spanToJson shape, with ids and names', async () => {
    const memory = new InMemorySpanExporter();
    const tracer = new Tracer({
      processor: new SimpleSpanProcessor(memory),
      resource: { attributes: { 'service.name': 'orders' } },
    });
    tracer.withSpan(
      'GET /users/:id',
      () => {
        tracer.withSpan('UsersService.find', (span) => {
          span.addEvent('cache.miss', { key: 'u1' });
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'line\nbreak' });
        });
      },
      { kind: SpanKind.SERVER, attributes: { 'http.route': '/users/:id' } },
    );
    const [child, root] = memory.getFinishedSpans();
    const exporter = exporterFor();

    const result = await exporter.export([child!, root!]);

    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await readFile(file, 'utf8')).toBe(lineOf(child!) + lineOf(root!));
    const [childLine, rootLine] = await readLines(file);
    expect(childLine).toMatchObject({
      name: 'UsersService.find',
      traceId: root!.traceId,
      spanId: child!.spanId,
      parentSpanId: root!.spanId,
      status: { code: 'error', message: 'line\nbreak' },
    });
    expect(rootLine).toMatchObject({ name: 'GET /users/:id', kind: 'server', parentSpanId: null });
  });

  it('creates missing parent directories of the path', async () => {
    file = join(dir, 'a', 'b', 'spans.jsonl');
    const [span] = makeSpans(1);

    const result = await exporterFor().export([span!]);

    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect(await readFile(file, 'utf8')).toBe(lineOf(span!));
  });

  it('resolves a relative path against the working directory at construction', () => {
    const exporter = new FileSpanExporter({ path: 'logs/spans.jsonl' });
    expect(exporter.path).toBe(join(process.cwd(), 'logs', 'spans.jsonl'));
    expect(exporter.maxFileBytes).toBe(10 * 1024 * 1024);
    expect(exporter.maxFiles).toBe(5);
  });

  it('appends to an existing file, keeping what was there', async () => {
    await writeFile(file, '{"earlier":true}\n');
    const spans = makeSpans(2);

    await exporterFor().export(spans);

    expect(await readFile(file, 'utf8')).toBe(
      '{"earlier":true}\n' + lineOf(spans[0]!) + lineOf(spans[1]!),
    );
  });

  it('counts the size of an existing file towards rotation', async () => {
    const [span] = makeSpans(1);
    const line = lineOf(span!);
    const earlier = 'x'.repeat(2048 - line.length) + '\n';
    await writeFile(file, earlier);

    // The earlier content plus one line is one byte over the limit: rotate first.
    await exporterFor({ maxFileBytes: 2048 }).export([span!]);

    expect(await readFile(`${file}.1`, 'utf8')).toBe(earlier);
    expect(await readFile(file, 'utf8')).toBe(line);
  });

  it('fills an existing file up to exactly maxFileBytes before rotating', async () => {
    const [span] = makeSpans(1);
    const line = lineOf(span!);
    const earlier = 'x'.repeat(2048 - line.length - 1) + '\n';
    await writeFile(file, earlier);

    await exporterFor({ maxFileBytes: 2048 }).export([span!]);

    expect(existsSync(`${file}.1`)).toBe(false);
    expect((await stat(file)).size).toBe(2048);
  });

  it('starts a new line when the existing file ends in a torn line', async () => {
    await writeFile(file, '{"torn":');
    const [span] = makeSpans(1);

    await exporterFor().export([span!]);

    expect(await readFile(file, 'utf8')).toBe('{"torn":\n' + lineOf(span!));
  });

  it('rotates by size, newest lines in the base file, every line whole and none lost or repeated', async () => {
    // About 430 bytes a line: two lines fit in 1024, a third would not.
    const spans = makeSpans(12);
    const exporter = exporterFor({ maxFileBytes: 1024, maxFiles: 10 });

    for (const span of spans) await exporter.export([span]);

    const files = await filesOldestFirst();
    expect(files.map((path) => path.slice(file.length))).toEqual([
      '.5',
      '.4',
      '.3',
      '.2',
      '.1',
      '',
    ]);
    const perFile: string[][] = [];
    for (const path of files) {
      expect((await stat(path)).size).toBeLessThanOrEqual(1024);
      perFile.push((await readLines(path)).map((line) => line.name));
    }
    expect(perFile.flat()).toEqual(spans.map((span) => span.name));
    expect(perFile.at(-1)).toEqual(['span-10', 'span-11']);
  });

  it('splits one large batch across files at line boundaries', async () => {
    const spans = makeSpans(9);
    const exporter = exporterFor({ maxFileBytes: 1024, maxFiles: 10 });

    const result = await exporter.export(spans);

    expect(result.code).toBe(ExportResultCode.SUCCESS);
    const files = await filesOldestFirst();
    expect(files).toHaveLength(5);
    const written: string[] = [];
    for (const path of files) {
      expect((await stat(path)).size).toBeLessThanOrEqual(1024);
      for (const line of await readLines(path)) written.push(line.spanId);
    }
    expect(written).toEqual(spans.map((span) => span.spanId));
    expect(await readFile(file, 'utf8')).toBe(lineOf(spans[8]!));
  });

  it('keeps only maxFiles rotated files, dropping the oldest', async () => {
    const spans = makeSpans(30, 300);
    const exporter = exporterFor({ maxFileBytes: 1024, maxFiles: 2 });

    for (const span of spans) await exporter.export([span]);

    expect((await readdir(dir)).toSorted()).toEqual([
      'spans.jsonl',
      'spans.jsonl.1',
      'spans.jsonl.2',
    ]);
    const kept = [
      ...(await readLines(`${file}.2`)),
      ...(await readLines(`${file}.1`)),
      ...(await readLines(file)),
    ].map((line) => line.spanId);
    // What is kept is exactly the newest spans, in order.
    expect(kept).toEqual(spans.slice(-kept.length).map((span) => span.spanId));
    expect(kept.length).toBeLessThan(spans.length);
  });

  it('writes a line longer than maxFileBytes into a file of its own instead of dropping it', async () => {
    const [small1, small2] = makeSpans(2);
    const [big1, big2] = makeSpans(2, 3000);
    const exporter = exporterFor({ maxFileBytes: 1024, maxFiles: 5 });

    await exporter.export([big1!, small1!, big2!, small2!]);

    // No empty file is rotated out before the first, oversized line.
    expect(await filesOldestFirst()).toHaveLength(4);
    expect(await readFile(`${file}.3`, 'utf8')).toBe(lineOf(big1!));
    expect(await readFile(`${file}.2`, 'utf8')).toBe(lineOf(small1!));
    expect(await readFile(`${file}.1`, 'utf8')).toBe(lineOf(big2!));
    expect(await readFile(file, 'utf8')).toBe(lineOf(small2!));
  });

  it('fails an export whose rotation cannot rename the file, and rotates on a later export once it can', async () => {
    const spans = makeSpans(4);
    const exporter = exporterFor({ maxFileBytes: 1024, maxFiles: 1 });
    await mkdir(join(`${file}.1`, 'in-the-way'), { recursive: true });

    expect((await exporter.export([spans[0]!])).code).toBe(ExportResultCode.SUCCESS);
    expect((await exporter.export([spans[1]!])).code).toBe(ExportResultCode.SUCCESS);
    const failedRotation = await exporter.export([spans[2]!]);
    expect(failedRotation.code).toBe(ExportResultCode.FAILED);
    expect(failedRotation.error).toBeInstanceOf(Error);

    await rm(`${file}.1`, { recursive: true });
    expect(await exporter.export([spans[3]!])).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await readFile(`${file}.1`, 'utf8')).toBe(lineOf(spans[0]!) + lineOf(spans[1]!));
    expect(await readFile(file, 'utf8')).toBe(lineOf(spans[3]!));
  });

  it('keeps the order of overlapping exports and never interleaves them, across rotations', async () => {
    const spans = makeSpans(60, 200);
    const exporter = exporterFor({ maxFileBytes: 2048, maxFiles: 50 });
    const batches = Array.from({ length: 20 }, (_, i) => spans.slice(i * 3, i * 3 + 3));

    const results = await Promise.all(batches.map((batch) => exporter.export(batch)));

    expect(results.every((result) => result.code === ExportResultCode.SUCCESS)).toBe(true);
    const files = await filesOldestFirst();
    expect(files.length).toBeGreaterThan(2);
    const written: string[] = [];
    for (const path of files) {
      for (const line of await readLines(path)) written.push(line.name);
    }
    expect(written).toEqual(spans.map((span) => span.name));
  });

  it('has everything exported so far on disk when forceFlush resolves', async () => {
    const spans = makeSpans(5);
    const exporter = exporterFor();

    const exports = spans.map((span) => exporter.export([span]));
    await exporter.forceFlush();

    expect(await readFile(file, 'utf8')).toBe(spans.map(lineOf).join(''));
    await Promise.all(exports);
  });

  it('fails an export when the parent of the path is a file, without throwing', async () => {
    await writeFile(join(dir, 'not-a-dir'), '');
    file = join(dir, 'not-a-dir', 'spans.jsonl');
    const [span] = makeSpans(1);

    const result = await exporterFor().export([span!]);

    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.retryable).toBe(false);
    expect(['ENOTDIR', 'EEXIST']).toContain((result.error as NodeJS.ErrnoException).code);
  });

  it('fails an export when the path is a directory, and recovers once it is a file again', async () => {
    await mkdir(file);
    const [first, second] = makeSpans(2);
    const exporter = exporterFor();

    const result = await exporter.export([first!]);

    expect(result.code).toBe(ExportResultCode.FAILED);
    expect((result.error as NodeJS.ErrnoException).code).toBe('EISDIR');
    await rm(file, { recursive: true });
    expect(await exporter.export([second!])).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await readFile(file, 'utf8')).toBe(lineOf(second!));
  });

  it.skipIf(!existsSync('/dev/full'))(
    'fails an export when the disk is full, without throwing',
    async () => {
      file = '/dev/full';
      const [span] = makeSpans(1);

      const result = await exporterFor().export([span!]);

      expect(result.code).toBe(ExportResultCode.FAILED);
      expect(result.retryable).toBe(false);
      expect((result.error as NodeJS.ErrnoException).code).toBe('ENOSPC');
    },
  );

  it('writes what was exported before shutdown, then fails later exports at once', async () => {
    const [before, after] = makeSpans(2);
    const exporter = exporterFor();

    const pending = exporter.export([before!]);
    await exporter.shutdown();

    expect((await pending).code).toBe(ExportResultCode.SUCCESS);
    expect(await readFile(file, 'utf8')).toBe(lineOf(before!));
    const result = await exporter.export([after!]);
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(result.error?.message).toMatch(/after shutdown/);
    expect(await readFile(file, 'utf8')).toBe(lineOf(before!));
    await expect(exporter.shutdown()).resolves.toBeUndefined();
  });

  it.each([
    [{ path: '' }, /"path" must be a non-empty string/],
    [{ path: 42 as unknown as string }, /"path" must be a non-empty string, got 42/],
    [
      { path: 'x', maxFileBytes: 1023 },
      /"maxFileBytes" must be a positive integer.*1024, got 1023/,
    ],
    [{ path: 'x', maxFileBytes: 2048.5 }, /"maxFileBytes"/],
    [{ path: 'x', maxFileBytes: Number.NaN }, /"maxFileBytes"/],
    [{ path: 'x', maxFiles: 0 }, /"maxFiles" must be an integer of at least 1, got 0/],
    [{ path: 'x', maxFiles: 1.5 }, /"maxFiles"/],
  ] as [FileSpanExporterOptions, RegExp][])(
    'rejects invalid options %o with an error naming the option',
    (options, message) => {
      expect(() => new FileSpanExporter(options)).toThrow(message);
    },
  );

  it('rejects construction without options, naming "path"', () => {
    expect(() => new FileSpanExporter(undefined as unknown as FileSpanExporterOptions)).toThrow(
      /"path"/,
    );
  });
});
