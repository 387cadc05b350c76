import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installPackedLibrary } from '../fixtures/packed-library.js';

// NestJS 11 apps test with Jest, and Jest has no require(esm): it must load the package's
// CommonJS build with its default configuration. test/fixtures/nest11-jest is an app as
// `nest new` lays it out (CommonJS TypeScript, ts-jest, test/jest-e2e.json) on Jest 30;
// test/fixtures/nest11-jest29 runs the same sources on Jest 29. Each gets the packed library
// and runs its own `npm run test:e2e`, which boots TracingModule, a @Traced() service and
// the testing kit.

const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url));
const APP = join(FIXTURES, 'nest11-jest');
/** The app's sources, copied into the Jest 29 fixture (which has only its own package.json). */
const SHARED = ['src', 'test', 'tsconfig.json'];
/** The tests in test/fixtures/nest11-jest/test/app.e2e-spec.ts. */
const APP_TESTS = 4;

interface JestReport {
  success: boolean;
  numPassedTests: number;
  numFailedTests: number;
  numTotalTests: number;
  testResults: { message: string }[];
}

interface Run {
  code: number | null;
  output: string;
  report?: JestReport;
}

function runJest(dir: string): Promise<Run> {
  const reportFile = join(dir, 'jest-report.json');
  rmSync(reportFile, { force: true });
  const jest = join(dir, 'node_modules', 'jest', 'bin', 'jest.js');
  const args = [jest, '--config', './test/jest-e2e.json', '--json', `--outputFile=${reportFile}`];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: dir, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const report = existsSync(reportFile)
        ? (JSON.parse(readFileSync(reportFile, 'utf8')) as JestReport)
        : undefined;
      resolve({
        code,
        output: `${error && code === null ? error.message : ''}${stdout}${stderr}`,
        report,
      });
    });
  });
}

function jestMajor(dir: string): string {
  const manifest = JSON.parse(
    readFileSync(join(dir, 'node_modules', 'jest', 'package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version.split('.')[0]!;
}

describe.each([
  { fixture: 'nest11-jest', jest: '30' },
  { fixture: 'nest11-jest29', jest: '29' },
])('a NestJS 11 CommonJS app tested with Jest $jest ($fixture)', ({ fixture, jest }) => {
  const dir = join(FIXTURES, fixture);

  it('loads the packed library with the default Jest configuration and passes its e2e test', async () => {
    if (!existsSync(join(dir, 'node_modules', 'jest', 'package.json'))) {
      throw new Error(
        `test/fixtures/${fixture} has no node_modules: run \`node scripts/prepare-fixtures.mjs\` (the pretest script of \`npm test\` does it)`,
      );
    }
    expect(jestMajor(dir)).toBe(jest);
    if (dir !== APP) {
      for (const entry of SHARED) {
        rmSync(join(dir, entry), { recursive: true, force: true });
        cpSync(join(APP, entry), join(dir, entry), { recursive: true });
      }
    }
    installPackedLibrary(dir);

    const run = await runJest(dir);
    const failures = run.report?.testResults.map((r) => r.message).join('\n') ?? '';
    expect(run.code, `${run.output}\n${failures}`).toBe(0);
    expect(run.report).toMatchObject({
      success: true,
      numFailedTests: 0,
      numPassedTests: APP_TESTS,
      numTotalTests: APP_TESTS,
    });
  }, 180_000);
});
