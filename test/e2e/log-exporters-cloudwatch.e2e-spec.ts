import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createResource } from '../../lib/core/resource.js';
import { CloudWatchLogExporter } from '../../lib/export/logs/cloudwatch-log-exporter.js';
import { BatchLogProcessor } from '../../lib/logging/batch-log-processor.js';
import type { LogRecord } from '../../lib/core/log-record.js';

const ACCESS_KEY = 'AKIDEXAMPLETEST';
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const REGION = 'eu-west-1';

interface AwsCall {
  target: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: Record<string, unknown>;
}

interface PutEvents {
  logGroupName: string;
  logStreamName: string;
  logEvents: { timestamp: number; message: string }[];
}

/**
 * CloudWatch Logs on 127.0.0.1, speaking its JSON 1.1 protocol (`x-amz-target:
 * Logs_20140328.<Operation>`), with log groups and streams that exist only once created.
 */
class FakeCloudWatchLogs {
  readonly calls: AwsCall[] = [];
  readonly groups = new Set<string>();
  readonly streams = new Set<string>();
  /** Errors to answer the next calls of an operation with, in order (null: answer normally). */
  readonly failNext = new Map<string, (string | null)[]>();
  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeCloudWatchLogs> {
    let fake!: FakeCloudWatchLogs;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        const target = String(req.headers['x-amz-target'] ?? '');
        const call: AwsCall = {
          target: target.replace('Logs_20140328.', ''),
          headers: req.headers,
          rawBody,
          body: JSON.parse(rawBody || '{}') as Record<string, unknown>,
        };
        fake.calls.push(call);
        const [status, body] = fake.handle(call);
        res
          .writeHead(status, { 'content-type': 'application/x-amz-json-1.1' })
          .end(JSON.stringify(body));
      });
    });
    fake = new FakeCloudWatchLogs(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get puts(): PutEvents[] {
    return this.calls
      .filter((c) => c.target === 'PutLogEvents')
      .map((c) => c.body as unknown as PutEvents);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(call: AwsCall): [number, object] {
    const forced = this.failNext.get(call.target)?.shift();
    if (forced !== undefined && forced !== null)
      return [
        forced === 'ServiceUnavailableException' ? 503 : 400,
        { __type: forced, message: forced },
      ];
    const group = call.body.logGroupName as string;
    const stream = `${group}|${call.body.logStreamName as string}`;
    switch (call.target) {
      case 'CreateLogGroup':
        if (this.groups.has(group)) return exists();
        this.groups.add(group);
        return [200, {}];
      case 'CreateLogStream':
        if (!this.groups.has(group)) return notFound('log group');
        if (this.streams.has(stream)) return exists();
        this.streams.add(stream);
        return [200, {}];
      case 'PutLogEvents':
        if (!this.groups.has(group)) return notFound('log group');
        if (!this.streams.has(stream)) return notFound('log stream');
        return [200, { nextSequenceToken: '1' }];
      default:
        return [400, { __type: 'UnknownOperationException' }];
    }
  }
}

function notFound(what: string): [number, object] {
  return [
    400,
    { __type: 'ResourceNotFoundException', message: `The specified ${what} does not exist.` },
  ];
}

function exists(): [number, object] {
  return [
    400,
    { __type: 'ResourceAlreadyExistsException', message: 'The specified resource already exists' },
  ];
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** Recomputes an AWS Signature Version 4 from the request as received (POST to `/`, no query). */
function expectedSignature(call: AwsCall, secretKey: string): string {
  const auth = String(call.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1]!;
  const scope = /Credential=[^/]+\/([^,]+)/.exec(auth)![1]!;
  const [date, region, service] = scope.split('/');
  const amzDate = String(call.headers['x-amz-date']);
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => `${name}:${String(call.headers[name]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    'POST',
    '/',
    '',
    canonicalHeaders,
    signedHeaders,
    createHash('sha256').update(call.rawBody).digest('hex'),
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${secretKey}`, date!), region!), service!),
    'aws4_request',
  );
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

const resource = createResource({ serviceName: 'ledger', environment: 'prod' });

function record(message: string, time = performance.now()): LogRecord {
  return {
    time,
    level: 'info',
    message,
    context: 'Ledger',
    traceId: '5b8aa5a2d2c872e8321cf37308d69df2',
    spanId: '051581bf3cb55c13',
    traceFlags: 1,
    correlationId: undefined,
    fields: {},
    error: undefined,
    resource,
    source: 'log',
  };
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).toReversed()) await fn();
});

async function setUp(
  options: { credentials?: false; createMissing?: boolean; maxEvents?: number } = {},
) {
  const aws = await FakeCloudWatchLogs.start();
  cleanup.push(() => aws.close());
  const exporter = new CloudWatchLogExporter(
    {
      logGroupName: '/nestjs/ledger',
      logStreamName: 'web-1',
      region: REGION,
      endpoint: aws.endpoint,
      ...(options.credentials === false
        ? {}
        : { credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } }),
      ...(options.createMissing !== undefined ? { createMissing: options.createMissing } : {}),
    },
    undefined,
    options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {},
  );
  const processor = new BatchLogProcessor(exporter, {
    retryInitialDelayMs: 1,
    maxExportBatchSize: 20_000,
    maxQueueSize: 20_000,
    scheduledDelayMs: 60_000,
  });
  cleanup.push(() => processor.shutdown());
  return { aws, exporter, processor };
}

describe('CloudWatchLogExporter against a local CloudWatch Logs endpoint', () => {
  it('signs each request with SigV4 from the given credentials, a signature the endpoint can verify', async () => {
    const { aws, processor } = await setUp();
    aws.groups.add('/nestjs/ledger');
    aws.streams.add('/nestjs/ledger|web-1');
    processor.onEmit(record('entry posted'));
    await processor.forceFlush();
    expect(aws.puts).toHaveLength(1);
    const [call] = aws.calls;
    expect(call!.headers['x-amz-target']).toBe('Logs_20140328.PutLogEvents');
    expect(call!.headers['content-type']).toBe('application/x-amz-json-1.1');
    const amzDate = String(call!.headers['x-amz-date']);
    expect(amzDate).toMatch(/^\d{8}T\d{6}Z$/);
    const auth = String(call!.headers.authorization);
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/logs\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    expect(match).not.toBeNull();
    const [, key, date, region, signed, signature] = match!;
    expect(key).toBe(ACCESS_KEY);
    expect(date).toBe(amzDate.slice(0, 8));
    expect(region).toBe(REGION);
    expect(signed!.split(';')).toEqual(
      expect.arrayContaining(['host', 'x-amz-date', 'x-amz-target', 'content-type']),
    );
    expect(signature).toBe(expectedSignature(call!, SECRET_KEY));
    expect(expectedSignature(call!, 'another-secret')).not.toBe(signature);
  });

  it('finds credentials through the standard chain (here the environment) when none are given', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret-from-env';
    cleanup.push(async () => {
      for (const [name, value] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    const { aws, processor } = await setUp({ credentials: false });
    processor.onEmit(record('from env'));
    await processor.forceFlush();
    const put = aws.calls.at(-1)!;
    expect(String(put.headers.authorization)).toContain('Credential=AKIDFROMENV/');
    expect(String(put.headers.authorization).split('Signature=')[1]).toBe(
      expectedSignature(put, 'secret-from-env'),
    );
  });

  it('creates the missing log group and stream on ResourceNotFoundException, then sends the batch again', async () => {
    const { aws, processor } = await setUp();
    processor.onEmit(record('first ever'));
    await processor.forceFlush();
    expect(aws.calls.map((c) => c.target)).toEqual([
      'PutLogEvents',
      'CreateLogStream',
      'CreateLogGroup',
      'CreateLogStream',
      'PutLogEvents',
    ]);
    expect(aws.calls[2]!.body).toEqual({ logGroupName: '/nestjs/ledger' });
    expect(aws.calls[3]!.body).toEqual({ logGroupName: '/nestjs/ledger', logStreamName: 'web-1' });
    expect(processor.stats()).toMatchObject({ exported: 1, failed: 0, retried: 0 });

    // Both exist now: the next batch goes straight through.
    processor.onEmit(record('second'));
    await processor.forceFlush();
    expect(aws.calls.at(-1)!.target).toBe('PutLogEvents');
    expect(aws.calls).toHaveLength(6);
  });

  it('creates only the stream when the group exists, and nothing when told not to', async () => {
    const { aws, processor } = await setUp();
    aws.groups.add('/nestjs/ledger');
    processor.onEmit(record('x'));
    await processor.forceFlush();
    expect(aws.calls.map((c) => c.target)).toEqual([
      'PutLogEvents',
      'CreateLogStream',
      'PutLogEvents',
    ]);

    const strict = await setUp({ createMissing: false });
    strict.processor.onEmit(record('y'));
    await strict.processor.forceFlush();
    expect(strict.aws.calls.map((c) => c.target)).toEqual(['PutLogEvents']);
    expect(strict.processor.stats()).toMatchObject({ failed: 1, retried: 0 });
    expect(strict.processor.stats().lastError?.message).toContain('ResourceNotFoundException');
  });

  it('sends the events of a batch sorted by time, with the JSON lines as messages', async () => {
    const { aws, processor } = await setUp();
    const t = performance.now();
    for (const [message, offset] of [
      ['c', 30],
      ['a', 10],
      ['b', 20],
    ] as const) {
      processor.onEmit(record(message, t + offset));
    }
    await processor.forceFlush();
    const events = aws.puts.at(-1)!.logEvents;
    expect(events.map((e) => JSON.parse(e.message).message)).toEqual(['a', 'b', 'c']);
    const times = events.map((e) => e.timestamp);
    expect(times).toEqual(times.toSorted((x, y) => x - y));
    expect(JSON.parse(events[0]!.message)).toMatchObject({
      service: 'ledger',
      trace_id: '5b8aa5a2d2c872e8321cf37308d69df2',
    });
  });

  it('splits a batch at 1 MiB counting 26 bytes per event, and at the event count limit', async () => {
    const { aws, processor } = await setUp();
    aws.groups.add('/nestjs/ledger');
    aws.streams.add('/nestjs/ledger|web-1');
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 6; i++) processor.onEmit(record(`${i}${big}`));
    await processor.forceFlush();
    expect(aws.puts.map((p) => p.logEvents.length)).toEqual([5, 1]);
    for (const put of aws.puts) {
      const bytes = put.logEvents.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0);
      expect(bytes).toBeLessThanOrEqual(1_048_576);
    }
    const messages = aws.puts.flatMap((p) =>
      p.logEvents.map((e) => JSON.parse(e.message).message[0]),
    );
    expect(messages).toEqual(['0', '1', '2', '3', '4', '5']);

    // 10,000 JSON lines weigh more than 1 MiB, so the count limit (tested at 10,000 in the
    // format's unit test) is shown here with a smaller one.
    const counted = await setUp({ maxEvents: 4 });
    counted.aws.groups.add('/nestjs/ledger');
    counted.aws.streams.add('/nestjs/ledger|web-1');
    for (let i = 0; i < 9; i++) counted.processor.onEmit(record(`e${i}`));
    await counted.processor.forceFlush();
    expect(counted.aws.puts.map((p) => p.logEvents.length)).toEqual([4, 4, 1]);
  });

  it('retries a throttled batch, resuming after the parts already accepted, and does not retry access denied', async () => {
    const { aws, processor } = await setUp();
    aws.groups.add('/nestjs/ledger');
    aws.streams.add('/nestjs/ledger|web-1');
    // Seven events of 150 KB make two PutLogEvents calls (six, then one); the second is throttled once.
    aws.failNext.set('PutLogEvents', [null, 'ThrottlingException']);
    const big = 'x'.repeat(150_000);
    for (let i = 0; i < 7; i++) processor.onEmit(record(`${i}${big}`));
    await processor.forceFlush();
    expect(aws.puts.map((p) => p.logEvents.length)).toEqual([6, 1, 1]);
    expect(processor.stats()).toMatchObject({ exported: 7, retried: 1, failed: 0 });

    aws.failNext.set('PutLogEvents', ['AccessDeniedException']);
    processor.onEmit(record('denied'));
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ failed: 1, retried: 1 });
    expect(processor.stats().lastError?.message).toMatch(/HTTP 400 AccessDeniedException/);
  });
});
