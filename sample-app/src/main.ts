import { VIEWER_PATH } from './tracing-options.js';
import { isServiceName, type ServiceName } from './config.js';
import { startService, type RunningService } from './service.js';
import { spawnService, type ReadyMessage, type ServiceProcess } from './supervisor.js';

/**
 * `node sample-app/dist/main.js` starts both services: the catalog in a child process,
 * the gateway in this one. `--service=gateway|catalog` starts just that one.
 */

const SHUTDOWN_GRACE_MS = 5_000;
/** initdb of the embedded PostgreSQL: a few seconds, far more on a busy machine. */
const CATALOG_READY_TIMEOUT_MS = 120_000;
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function serviceArgument(argv: readonly string[]): ServiceName | undefined {
  const arg = argv.find((a) => a.startsWith('--service='));
  if (arg === undefined) return undefined;
  const name = arg.slice('--service='.length);
  if (!isServiceName(name)) throw new Error(`--service must be gateway or catalog, got "${name}"`);
  return name;
}

/** Forces the exit if a graceful shutdown hangs. */
function exitAfter(ms: number, code: number): void {
  setTimeout(() => process.exit(code), ms).unref();
}

/** One service in this process. Spawned by a parent, it reports readiness over IPC. */
async function runService(name: ServiceName): Promise<void> {
  const hasParent = typeof process.send === 'function';
  // The parent may have died while this process was still loading.
  if (hasParent && !process.connected) process.exit(0);

  let service: RunningService | undefined;
  let closing = false;
  const shutdown = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    exitAfter(SHUTDOWN_GRACE_MS, 1);
    // Closing the app runs TracingModule's shutdown hook, which flushes the spans.
    await service?.app.close();
    if (process.connected) process.disconnect();
  };
  for (const signal of SIGNALS) process.once(signal, () => void shutdown());
  // The IPC channel closes when the parent exits, however it exits.
  if (hasParent) process.once('disconnect', () => void shutdown());

  service = await startService(name);
  if (closing) return void (await service.app.close());
  if (hasParent) {
    const ready: ReadyMessage = { type: 'ready', service: name, url: service.url };
    process.send!(ready);
  } else {
    console.log(`\n${name} listening on ${service.url} (Ctrl-C to stop)\n`);
  }
}

/** Both services: the catalog as a child process, the gateway here. */
async function runBoth(): Promise<void> {
  let gateway: RunningService | undefined;
  let catalog: ServiceProcess | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    exitAfter(SHUTDOWN_GRACE_MS + 2_000, 1);
    await Promise.allSettled([gateway?.app.close(), catalog?.stop(SHUTDOWN_GRACE_MS)]);
    process.exitCode = code;
  };
  for (const signal of SIGNALS) process.once(signal, () => void stop(0));
  // Last resort (an uncaught error, process.exit): never leave the child behind.
  process.once('exit', () => {
    if (catalog?.child.exitCode === null && catalog.child.signalCode === null) {
      catalog.child.kill('SIGKILL');
    }
  });

  try {
    // The catalog starts its PostgreSQL (PGlite, in WebAssembly) first: seconds, not millis.
    console.log('Starting the catalog and its embedded PostgreSQL (PGlite)...');
    catalog = await spawnService('catalog', { readyTimeoutMs: CATALOG_READY_TIMEOUT_MS });
    void catalog.exited.then((code) => {
      if (stopping) return;
      console.error(`catalog exited unexpectedly (code ${code}); stopping the gateway`);
      void stop(1);
    });
    // A signal that came during start-up stopped what existed then: stop the rest.
    if (stopping) return void (await catalog.stop(SHUTDOWN_GRACE_MS));
    gateway = await startService('gateway', { ...process.env, CATALOG_URL: catalog.url });
    if (stopping) return void (await gateway.app.close());
  } catch (error) {
    await stop(1);
    throw error;
  }
  printUsage(gateway.url, catalog);
}

function printUsage(gatewayUrl: string, catalog: ServiceProcess): void {
  const g = gatewayUrl;
  console.log(`
nestjs-tracing sample app: two NestJS services, one trace per request.

  gateway  ${g}  (pid ${process.pid})
  catalog  ${catalog.url}  (pid ${catalog.child.pid})

Send requests; each service prints the trace tree of its part of the request:

  # an order, served by the gateway alone; the correlation id comes back in the response
  curl -i -H 'x-correlation-id: my-request-1' ${g}/orders/1

  # the gateway calls the catalog twice: one trace across both processes
  curl -i ${g}/orders/1/details

  # fails on purpose (500): the payment provider throws
  curl -i -X POST -H 'authorization: Bearer ada' ${g}/orders/1/payment

  # rejected by the guard (401), not found (404), bad SKU from the catalog's pipe (400)
  curl -i -X POST ${g}/orders/1/payment
  curl -i ${g}/orders/42
  curl -i ${catalog.url}/products/not-a-sku

  # health checks are not traced (ignoreRoutes)
  curl -i ${g}/health

  # the fake LLM: gen_ai.* attributes, tokens and cost on the span (and a streamed answer)
  curl -X POST -H 'content-type: application/json' -d '{"prompt":"What is a trace?"}' ${g}/llm/chat
  curl -X POST -H 'content-type: application/json' -d '{"prompt":"What is a trace?"}' ${g}/llm/chat/stream

  # RED metrics (Prometheus text) and the tracing health summary
  curl ${g}/metrics
  curl ${g}/tracing/health

Open ${g}${VIEWER_PATH} to see every request, across both services, in the trace viewer.

Ctrl-C stops both services.
`);
}

async function main(): Promise<void> {
  const service = serviceArgument(process.argv.slice(2));
  await (service === undefined ? runBoth() : runService(service));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
