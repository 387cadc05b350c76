import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpRequestRecords, type HttpRequestRecord } from '../../../lib/http/index.js';
import { VerboseHttpWriter } from '../../../lib/http/verbose-http-writer.js';

function record(id: number, overrides: Partial<HttpRequestRecord> = {}): HttpRequestRecord {
  return {
    id,
    method: 'GET',
    url: `http://127.0.0.1/items/${id}`,
    status: 200,
    ok: true,
    startedAt: new Date(Date.UTC(2025, 0, 1, 0, 0, id)).toISOString(),
    durationMs: 1,
    request: { headers: {} },
    response: { headers: {} },
    ...overrides,
  };
}

describe('HttpRequestRecords', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'http-records-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the newest records up to its maximum, newest first', () => {
    const records = new HttpRequestRecords(3);
    for (let i = 1; i <= 5; i++) records.add(record(i));
    expect(records.size).toBe(3);
    expect(records.list().map((r) => r.id)).toEqual([5, 4, 3]);
    records.add(record(6));
    expect(records.list().map((r) => r.id)).toEqual([6, 5, 4]);
  });

  it('keeps nothing when its maximum is 0', () => {
    const records = new HttpRequestRecords(0);
    records.add(record(1));
    expect(records.list()).toEqual([]);
  });

  it('filters by limit, status, status class, errors, url and method', () => {
    const records = new HttpRequestRecords(10);
    records.add(record(1, { status: 200 }));
    records.add(record(2, { status: 404, ok: false, url: 'http://127.0.0.1/missing' }));
    records.add(record(3, { status: undefined, ok: false, errorType: 'timeout', method: 'POST' }));
    records.add(record(4, { status: 503, ok: false }));
    expect(records.list({ limit: 2 }).map((r) => r.id)).toEqual([4, 3]);
    expect(records.list({ status: 404 }).map((r) => r.id)).toEqual([2]);
    expect(records.list({ status: '5xx' }).map((r) => r.id)).toEqual([4]);
    expect(records.list({ status: '2xx' }).map((r) => r.id)).toEqual([1]);
    expect(records.list({ status: 'error' }).map((r) => r.id)).toEqual([4, 3, 2]);
    expect(records.list({ url: 'missing' }).map((r) => r.id)).toEqual([2]);
    expect(records.list({ url: /items\/[13]$/ }).map((r) => r.id)).toEqual([3, 1]);
    expect(records.list({ method: 'post' }).map((r) => r.id)).toEqual([3]);
    expect(records.list({ status: 'error', limit: 1 }).map((r) => r.id)).toEqual([4]);
    expect(() => records.list({ limit: -1 })).toThrow('"limit" must be a non-negative integer');
  });

  it('exports the matching records to a JSON file, creating its folder', async () => {
    const records = new HttpRequestRecords(10);
    records.add(record(1));
    records.add(record(2, { status: 500, ok: false }));
    const path = join(dir, 'nested', 'records.json');
    expect(await records.exportToFile(path, { status: 'error' })).toBe(1);
    const document = JSON.parse(await readFile(path, 'utf8')) as {
      count: number;
      records: HttpRequestRecord[];
    };
    expect(document.count).toBe(1);
    expect(document.records).toEqual([record(2, { status: 500, ok: false })]);
  });

  it('writes one verbose file per call, with JSON bodies embedded, once flushed', async () => {
    const writer = new VerboseHttpWriter(join(dir, 'verbose'));
    const records = new HttpRequestRecords(10, writer);
    const first = record(1, {
      request: { headers: { authorization: '[REDACTED]' }, body: 'cut', bodyTruncated: true },
    });
    records.add(first, {
      record: first,
      requestBody: { text: '{"a":1}', bytes: 7, truncated: false, json: { a: 1 } },
      responseBody: { text: 'plain', bytes: 5, truncated: true },
    });
    records.add(record(2, { status: undefined, ok: false, errorType: 'timeout' }), {
      record: record(2, { status: undefined, ok: false, errorType: 'timeout' }),
      requestBody: undefined,
      responseBody: undefined,
    });
    await records.flush();
    const files = (await readdir(join(dir, 'verbose'))).toSorted();
    expect(files).toEqual([
      '2025-01-01T00-00-01-000Z-000001-GET-200.json',
      '2025-01-01T00-00-02-000Z-000002-GET-timeout.json',
    ]);
    const written = JSON.parse(await readFile(join(dir, 'verbose', files[0]!), 'utf8')) as Record<
      string,
      { body?: unknown; bodyTruncated?: boolean; headers?: unknown }
    >;
    expect(written.request).toEqual({ headers: { authorization: '[REDACTED]' }, body: { a: 1 } });
    expect(written.response).toEqual({ headers: {}, body: 'plain', bodyTruncated: true });
  });

  it('reports a verbose folder it cannot write to once, without failing the calls', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'not a folder');
    const writer = new VerboseHttpWriter(join(blocker, 'verbose'));
    const records = new HttpRequestRecords(10, writer);
    for (const id of [1, 2]) {
      records.add(record(id), {
        record: record(id),
        requestBody: undefined,
        responseBody: undefined,
      });
    }
    await expect(records.flush()).resolves.toBeUndefined();
    expect(records.size).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain('Writing verbose HTTP files to');
    warn.mockRestore();
  });
});
