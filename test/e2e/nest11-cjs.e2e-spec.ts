import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { installPackedLibrary } from '../fixtures/packed-library.js';

// A real NestJS 11 CommonJS app (test/fixtures/nest11-cjs, its own pinned dependencies)
// requires our packed package, extracted (not linked) into the fixture's node_modules.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURE = join(ROOT, 'test', 'fixtures', 'nest11-cjs');

const SERVER = 1;
const INTERNAL = 0;

interface RecordedSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  kind: number;
}

interface AppResult {
  nestVersion: string;
  libraryNestCore: string;
  status: number;
  body: { id: string; name: string; traceId?: string };
  correlationId?: string;
  incoming: { traceId: string; parentSpanId: string };
  spans: RecordedSpan[];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runApp(): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['app.cjs'],
      { cwd: FIXTURE, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({
          code,
          stdout,
          stderr: error && code === null ? `${error.message}\n${stderr}` : stderr,
        });
      },
    );
  });
}

describe('a NestJS 11 CommonJS app that requires the built package', () => {
  let run: Run;
  let parsed: AppResult | undefined;

  /** The app's report; when it did not run, the first test shows why. */
  function report(): AppResult {
    if (!parsed) throw new Error('the fixture app produced no result (see the first test)');
    return parsed;
  }

  beforeAll(async () => {
    if (!existsSync(join(FIXTURE, 'node_modules', '@nestjs', 'core', 'package.json'))) {
      throw new Error(
        'test/fixtures/nest11-cjs has no node_modules: run `node scripts/prepare-fixtures.mjs` (the pretest script of `npm test` does it)',
      );
    }
    if (!existsSync(join(ROOT, 'dist', 'index.js'))) {
      throw new Error('dist/index.js is missing: run `npm run build` (`npm test` does it first)');
    }
    installPackedLibrary(FIXTURE);

    run = await runApp();
    const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (run.code === 0 && line) parsed = JSON.parse(line.slice('RESULT '.length)) as AppResult;
  });

  it('boots, serves one request and exits 0', () => {
    expect(run.code, `stderr:\n${run.stderr}\nstdout:\n${run.stdout}`).toBe(0);
    expect(parsed, `no RESULT line in stdout:\n${run.stdout}`).toBeDefined();
  });

  it('runs on NestJS 11, and the library resolves that same Nest', () => {
    const result = report();
    expect(result.nestVersion.split('.')[0]).toBe('11');
    expect(result.libraryNestCore.startsWith(join(FIXTURE, 'node_modules') + sep)).toBe(true);
  });

  it('answers 200 with the body the controller returned, seeing the incoming trace id', () => {
    const result = report();
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ id: '42', name: 'user-42', traceId: result.incoming.traceId });
  });

  it('records a server span named by route template that continues the incoming traceparent', () => {
    const result = report();
    const server = result.spans.find((span) => span.kind === SERVER);
    expect(server).toMatchObject({
      name: 'GET /users/:id',
      traceId: result.incoming.traceId,
      parentSpanId: result.incoming.parentSpanId,
    });
  });

  it('records the @Traced() service call as a child of the server span', () => {
    const result = report();
    const server = result.spans.find((span) => span.kind === SERVER)!;
    const child = result.spans.find((span) => span.name === 'UsersService.findOne');
    expect(child).toMatchObject({
      kind: INTERNAL,
      traceId: result.incoming.traceId,
      parentSpanId: server.spanId,
    });
  });

  it('echoes the trace id as the correlation id when none came in', () => {
    const result = report();
    expect(result.correlationId).toBe(result.incoming.traceId);
  });
});
