import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// An app without @grpc/grpc-js asking for OTLP over gRPC, in a child process where a real
// module resolution hook (test/fixtures/grpc-missing/hide-grpc-js.mjs) makes the package
// unresolvable, as it is where it was never installed.

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const APP = 'test/fixtures/grpc-missing/app.mjs';
const HIDE = './test/fixtures/grpc-missing/hide-grpc-js.mjs';
const INSTALL_HINT = 'Install it with `npm install @grpc/grpc-js`';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function start(chosenBy: 'code' | 'env', hidden: boolean): Promise<Outcome> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_')) delete env[key];
  if (chosenBy === 'env') env.OTEL_EXPORTER_OTLP_PROTOCOL = 'grpc';
  const args = [...(hidden ? ['--import', HIDE] : []), APP, chosenBy];
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      cwd: ROOT,
      env,
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('OTLP over gRPC when @grpc/grpc-js is not installed', () => {
  it('stops start-up, naming the package and how to install it, when the code asks for grpc', async () => {
    const { code, stdout } = await start('code', true);
    expect(code).toBe(3);
    expect(stdout).toContain('FAILED: TracingModule: option "exporters[0]": OtlpGrpcExporter:');
    expect(stdout).toContain('@grpc/grpc-js, which is not installed');
    expect(stdout).toContain(INSTALL_HINT);
  });

  it('starts with a warning when only OTEL_EXPORTER_OTLP_PROTOCOL asks for grpc', async () => {
    const { code, stdout, stderr } = await start('env', true);
    expect(code).toBe(0);
    expect(stdout).toContain('STARTED');
    expect(stdout + stderr).toContain(INSTALL_HINT);
  });

  it('starts without a word when the package is there (the same app, nothing hidden)', async () => {
    const { code, stdout, stderr } = await start('code', false);
    expect(code).toBe(0);
    expect(stdout).toContain('STARTED');
    expect(stdout + stderr).not.toContain('@grpc/grpc-js');
  });
});
