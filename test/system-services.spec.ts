import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  binaryPath,
  MissingSystemServiceError,
  needsServices,
  skippedSummary,
} from './fixtures/system-services.js';

// The tests that start Prometheus, Redis or Chromium skip (with one summary line) where the
// binary is missing, and fail with CI=true. A nonexistent override stands in for a bare machine.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MISSING = '/nonexistent/prometheus';

describe('needsServices', () => {
  it('skips the suite when the override points nowhere, and says what is missing', () => {
    expect(needsServices('prometheus', { PROMETHEUS_BIN: MISSING })).toEqual({
      skip: true,
      meta: { missingServices: ['prometheus'] },
    });
  });

  it('fails with CI=true, naming the binary, the override and the install command', () => {
    const check = () => needsServices('prometheus', { PROMETHEUS_BIN: MISSING, CI: 'true' });
    expect(check).toThrow(MissingSystemServiceError);
    expect(check).toThrow(
      `missing: prometheus (${MISSING}). Install them with \`apt-get install -y prometheus\`, ` +
        'or point PROMETHEUS_BIN at the binary',
    );
  });

  it('treats CI=false like no CI', () => {
    expect(needsServices('prometheus', { PROMETHEUS_BIN: MISSING, CI: 'false' }).skip).toBe(true);
  });

  it('runs the suite when the binary is there, CI or not', () => {
    const env = { REDIS_SERVER_BIN: process.execPath, CI: 'true' };
    expect(needsServices(['redis-server'], env)).toEqual({
      skip: false,
      meta: { missingServices: [] },
    });
    expect(binaryPath('redis-server', env)).toBe(process.execPath);
  });

  it('looks a bare override up on PATH', () => {
    const env = { CHROMIUM_BIN: 'node', PATH: join(process.execPath, '..') };
    expect(needsServices('chromium', env).skip).toBe(false);
    expect(needsServices('chromium', { ...env, PATH: '/nonexistent' }).skip).toBe(true);
  });

  it('defaults to the paths the Debian packages install', () => {
    expect(binaryPath('prometheus', {})).toBe('/usr/bin/prometheus');
    expect(binaryPath('redis-server', {})).toBe('/usr/bin/redis-server');
    expect(binaryPath('chromium', {})).toBe('/usr/bin/chromium');
    expect(binaryPath('mariadbd', {})).toBe('/usr/sbin/mariadbd');
    // Debian's directory is named for the major version: the highest installed, else a pattern.
    expect(binaryPath('postgres', {})).toMatch(
      /^\/usr\/lib\/postgresql\/(\d+|<version>)\/bin\/postgres$/,
    );
    expect(binaryPath('postgres', { POSTGRES_BIN: '/opt/pg/bin/postgres' })).toBe(
      '/opt/pg/bin/postgres',
    );
  });

  it('summarises what is missing in one line, in a stable order', () => {
    expect(skippedSummary(new Set(['redis-server', 'prometheus'] as const))).toBe(
      'skipped: prometheus, redis-server missing — apt-get install -y prometheus redis-server' +
        ' (or point PROMETHEUS_BIN, REDIS_SERVER_BIN at the binary)',
    );
  });
});

interface Run {
  code: number | null;
  output: string;
}

/** `vitest run` of the real Prometheus e2e file with the project's config, in a child process. */
function runPrometheusSpec(env: Record<string, string>): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  // Not a worker of this run, and CI only when the test says so.
  for (const name of Object.keys(childEnv))
    if (name.startsWith('VITEST') || name === 'CI') delete childEnv[name];
  Object.assign(childEnv, env);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'test/e2e/prometheus.e2e-spec.ts'],
      { cwd: ROOT, env: childEnv, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe('a vitest run without the binary', () => {
  it(
    'skips the file and prints one line saying what to install',
    { timeout: 120_000 },
    async () => {
      const { code, output } = await runPrometheusSpec({ PROMETHEUS_BIN: MISSING });
      expect(output).toMatch(/Tests\s+3 skipped/);
      expect(output.match(/^skipped: .*$/gm)).toEqual([skippedSummary(['prometheus'])]);
      expect({ code, output }).toMatchObject({ code: 0 });
    },
  );

  it('fails with CI=true, with the message naming the binary', { timeout: 120_000 }, async () => {
    const { code, output } = await runPrometheusSpec({ PROMETHEUS_BIN: MISSING, CI: 'true' });
    expect(output).toContain(`MissingSystemServiceError: CI=true requires every system service`);
    expect(output).not.toMatch(/^skipped: /m);
    expect({ code, output }).toMatchObject({ code: 1 });
  });
});
