import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, TracingModule } from '../../lib/index.js';
import { HttpRequestRecords, TracedHttpModule, TracedHttpService } from '../../lib/http/index.js';

// Every secret a caller may send or a server may answer, each one unique so a leak is
// found wherever it lands.
const SECRETS = {
  bearer: 'bearer-secret-7f3a91',
  apiKey: 'apikey-secret-1c2d3e',
  cookie: 'cookie-secret-9a8b7c',
  custom: 'custom-secret-5e6f7a',
  urlPassword: 'urlpass-secret-2b3c4d',
  queryToken: 'querytoken-secret-8d9e0f',
  querySession: 'querysession-secret-3f4a5b',
  querySig: 'querysig-secret-6c7d8e',
  bodyPassword: 'bodypass-secret-0a1b2c',
  nestedKey: 'nestedkey-secret-4d5e6f',
  pin: 'pin-secret-7a8b9c',
  formPassword: 'formpass-secret-1d2e3f',
  responseToken: 'resptoken-secret-5a6b7c',
  setCookie: 'setcookie-secret-8e9f0a',
  streamToken: 'streamtoken-secret-2c3d4e',
};

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
  error = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
  warn = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
  debug = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
  verbose = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
  fatal = (...args: unknown[]) => this.lines.push(args.map(String).join(' '));
}

describe('secrets in TracedHttpService calls', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let received: IncomingHttpHeaders[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'traced-http-secrets-'));
    received = [];
    server = createServer((req, res) => {
      received.push(req.headers);
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const path = req.url!.split('?')[0];
        if (path === '/hold') return; // times out
        if (path === '/stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(`data: {"token":"${SECRETS.streamToken}","n":1}\n\n`);
          return;
        }
        const answer = JSON.stringify({
          access_token: SECRETS.responseToken,
          profile: { name: 'alice' },
          echo: body,
        });
        res.writeHead(path === '/fail' ? 500 : 200, {
          'content-type': 'application/json',
          'set-cookie': `sid=${SECRETS.setCookie}; HttpOnly`,
        });
        res.end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('never lets a secret sent in a header, URL or body reach a span, record, log or file', async () => {
    const consoleOutput: string[] = [];
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TracingModule.forRoot({
          serviceName: 'secrets',
          exporters: [
            { type: 'memory' },
            { type: 'console', format: 'json', batch: false, write: (t) => consoleOutput.push(t) },
            { type: 'console', batch: false, write: (t) => consoleOutput.push(t) },
            { type: 'file', path: join(dir, 'spans.jsonl'), batch: false },
          ],
        }),
        TracedHttpModule.register({
          timeout: 1000,
          tracing: {
            recordBodies: true,
            redactHeaders: ['X-Custom-Auth'],
            redactQueryParams: ['session'],
            redactBodyKeys: ['pin'],
            verbose: { dir: join(dir, 'verbose') },
          },
        }),
      ],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger });
    await app.init();
    const http = app.get(TracedHttpService);
    const spans = app.get(InMemorySpanExporter);
    const records = app.get(HttpRequestRecords);

    const withCredentials = url.replace('http://', `http://alice:${SECRETS.urlPassword}@`);
    const query = `?token=${SECRETS.queryToken}&session=${SECRETS.querySession}&sig=${SECRETS.querySig}&page=2`;
    const headers = {
      Authorization: `Bearer ${SECRETS.bearer}`,
      'X-Api-Key': SECRETS.apiKey,
      Cookie: `sid=${SECRETS.cookie}`,
      'x-custom-auth': SECRETS.custom,
    };
    const body = {
      user: 'alice',
      password: SECRETS.bodyPassword,
      nested: { apiKey: SECRETS.nestedKey, pin: SECRETS.pin },
      note: 'hello',
    };
    await firstValueFrom(http.post(`${withCredentials}/ok${query}`, body, { headers }));
    await firstValueFrom(http.post(`${url}/fail${query}`, body, { headers })).catch(
      () => undefined,
    );
    await firstValueFrom(http.get(`${url}/hold${query}`, { headers, timeout: 100 })).catch(
      () => undefined,
    );
    await firstValueFrom(
      http.post(`${url}/ok`, `user=alice&password=${SECRETS.formPassword}`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
    const stream = await firstValueFrom(
      http.get<Readable>(`${url}/stream`, { responseType: 'stream' }),
    );
    stream.data.resume();
    await finished(stream.data);
    await spans.waitForSpans(5);

    // The secrets did go out (so their absence below means something).
    expect(received[0]!.authorization).toBe(
      `Basic ${Buffer.from(`alice:${SECRETS.urlPassword}`).toString('base64')}`,
    );
    expect(received[1]!.authorization).toBe(`Bearer ${SECRETS.bearer}`);
    expect(received[1]!['x-custom-auth']).toBe(SECRETS.custom);

    const spanText = JSON.stringify(
      spans.getFinishedSpans().map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        status: s.status,
      })),
    );
    const recordsFile = join(dir, 'records.json');
    expect(await records.exportToFile(recordsFile)).toBe(5);
    await app.close(); // flushes the exporters and the verbose files
    const verboseDir = join(dir, 'verbose');
    const verboseFiles = await readdir(verboseDir);
    const outputs: Record<string, string> = {
      spans: spanText,
      records: JSON.stringify(records.list()),
      'records file': await readFile(recordsFile, 'utf8'),
      'span file': await readFile(join(dir, 'spans.jsonl'), 'utf8'),
      console: consoleOutput.join(''),
      logs: logger.lines.join('\n'),
      'verbose files': (
        await Promise.all(verboseFiles.map((f) => readFile(join(verboseDir, f), 'utf8')))
      ).join('\n'),
    };

    for (const [where, text] of Object.entries(outputs)) {
      for (const [name, secret] of Object.entries(SECRETS)) {
        expect(text.includes(secret), `${name} found in ${where}`).toBe(false);
      }
    }
    // What is not secret is still there, redacted in place.
    expect(verboseFiles).toHaveLength(5);
    for (const where of ['records', 'records file', 'verbose files']) {
      expect(outputs[where]).toContain('hello');
      expect(outputs[where]).toContain('[REDACTED]');
      expect(outputs[where]).toContain('page=2');
      expect(outputs[where]).toContain('alice');
    }
    expect(outputs.spans).toContain('token=REDACTED&session=REDACTED&sig=REDACTED&page=2');
    expect(outputs.spans).toContain('REDACTED:REDACTED@127.0.0.1');
    expect(outputs['span file']).toContain('http.request.header.authorization');
    const failed = records.list({ status: 500 })[0]!;
    expect(failed.request.headers).toMatchObject({
      authorization: '[REDACTED]',
      'x-api-key': '[REDACTED]',
      cookie: '[REDACTED]',
      'x-custom-auth': '[REDACTED]',
    });
    expect(failed.response!.headers['set-cookie']).toBe('[REDACTED]');
    expect(JSON.parse(failed.request.body!)).toEqual({
      user: 'alice',
      password: '[REDACTED]',
      nested: { apiKey: '[REDACTED]', pin: '[REDACTED]' },
      note: 'hello',
    });
  });
});
