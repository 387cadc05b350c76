import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServiceName } from './config.js';

/** What a service process sends its parent once it listens. */
export interface ReadyMessage {
  type: 'ready';
  service: ServiceName;
  url: string;
}

export function isReadyMessage(message: unknown): message is ReadyMessage {
  const m = message as Partial<ReadyMessage> | null;
  return typeof m === 'object' && m !== null && m.type === 'ready' && typeof m.url === 'string';
}

export interface ServiceProcess {
  readonly name: ServiceName;
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves with the exit code (null if killed by a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  /** Receives each line the service writes (stdout and stderr); without it both are inherited. */
  onLine?: (line: string) => void;
  readyTimeoutMs?: number;
}

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/**
 * Starts `main.js --service=<name>` in a child process and waits for it to listen. The
 * child keeps an IPC channel to this process and exits when it closes, so it never
 * outlives its parent, even one killed with SIGKILL.
 */
export function spawnService(
  name: ServiceName,
  options: SpawnOptions = {},
): Promise<ServiceProcess> {
  const piped = options.onLine !== undefined;
  const child = fork(MAIN, [`--service=${name}`], {
    env: options.env ?? process.env,
    stdio: piped ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (options.onLine) {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream)
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', options.onLine);
    }
  }
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  const stop = async (graceMs = 5_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return exited;
  };

  return new Promise<ServiceProcess>((resolve, reject) => {
    const timeoutMs = options.readyTimeoutMs ?? 15_000;
    const fail = (reason: string): void => {
      cleanup();
      void stop(1_000);
      reject(new Error(`${name}: ${reason}`));
    };
    const onMessage = (message: unknown): void => {
      if (!isReadyMessage(message)) return;
      cleanup();
      resolve({ name, child, url: message.url, exited, stop });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited before it was ready (${signal ?? `code ${code}`})`);
    const onError = (error: Error): void => fail(`could not start: ${error.message}`);
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
