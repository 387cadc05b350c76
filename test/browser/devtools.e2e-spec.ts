import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevtoolsTraceList } from '../../lib/index.js';
import { ROOT, SAMPLE_MAIN, ensureSampleBuilt, isAlive } from '../fixtures/sample-app-build.js';
import { binaryPath, needsServices } from '../fixtures/system-services.js';

// The trace viewer in a real browser (Debian's chromium, driven by playwright-core)
// against the real sample app: `node sample-app/dist/main.js` starts the gateway (which
// serves the viewer) and the catalog (another process, which sends its spans to the
// gateway's viewer), and the test sends the requests the sample's README suggests.

const CHROMIUM = binaryPath('chromium');
const VIEWER_PATH = '/_tracing';
const SCREENSHOT = join(ROOT, 'test/artifacts/devtools.png');
const README_SCREENSHOT = join(ROOT, 'docs/devtools.png');
const CHECKOUT = 'checkout-42';
const BROWSE = 'browse-1';
/** sample-app/src/main.ts gives each service this long to close before it exits anyway. */
const SAMPLE_SHUTDOWN_MS = 7_000;
const KILL_AFTER_MS = SAMPLE_SHUTDOWN_MS + 3_000;

// ---- The sample app, one `node sample-app/dist/main.js` stopped by its pid ----

/** Two ports free on 127.0.0.1 right now (held together, so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

interface SampleExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Processes of the sample still running once main.js had exited (then SIGKILLed). */
  leftovers: number[];
}

interface SampleApp {
  readonly gatewayUrl: string;
  readonly viewerUrl: string;
  readonly catalogUrl: string;
  readonly pids: { gateway: number; catalog: number };
  output(): string;
  /** SIGTERM to main.js (which stops the catalog), SIGKILL after a grace period. */
  stop(): Promise<SampleExit>;
}

const ADDRESS = (service: string) =>
  new RegExp(`^\\s*${service}\\s+(http://127\\.0\\.0\\.1:\\d+)\\s+\\(pid (\\d+)\\)`, 'm');

async function startSample(gatewayPort: number, catalogPort: number): Promise<SampleApp> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    GATEWAY_PORT: String(gatewayPort),
    CATALOG_PORT: String(catalogPort),
  };
  // Nothing from the caller's environment may send the spans or the calls elsewhere.
  for (const name of ['PORT', 'CATALOG_URL', 'TRACE_VIEWER_URL', 'SPANS_JSON_FILE'])
    delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('OTEL_')) delete env[name];

  const child = spawn(process.execPath, [SAMPLE_MAIN], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: string) => {
    // Enough to tell what went wrong, not every trace tree of the run.
    output = (output + chunk).slice(-200_000);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  let catalogPid: number | undefined;
  const stop = async (): Promise<SampleExit> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
      await exited;
      clearTimeout(timer);
    }
    const { code, signal } = await exited;
    // main.js stops the catalog itself; make sure, by its pid, that it did.
    const leftovers = catalogPid !== undefined && isAlive(catalogPid) ? [catalogPid] : [];
    for (const pid of leftovers) process.kill(pid, 'SIGKILL');
    return { code, signal, leftovers };
  };

  try {
    const [gateway, catalog] = await new Promise<[RegExpExecArray, RegExpExecArray]>(
      (resolve, reject) => {
        // The catalog first starts its embedded PostgreSQL (PGlite): seconds, more when busy.
        const timer = setTimeout(() => reject(new Error('not listening within 120 s')), 120_000);
        const check = () => {
          const gatewayLine = ADDRESS('gateway').exec(output);
          const catalogLine = ADDRESS('catalog').exec(output);
          if (gatewayLine && catalogLine) {
            clearTimeout(timer);
            child.stdout!.off('data', check);
            resolve([gatewayLine, catalogLine]);
          }
        };
        child.stdout!.on('data', check);
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`exited before it listened (${signal ?? `code ${code}`})`));
        });
        child.once('error', reject);
      },
    );
    catalogPid = Number(catalog[2]);
    const gatewayUrl = gateway[1]!;
    const catalogUrl = catalog[1]!;
    if (gatewayUrl !== `http://127.0.0.1:${gatewayPort}`)
      throw new Error(`the gateway listens on ${gatewayUrl}, not on port ${gatewayPort}`);
    if (catalogUrl !== `http://127.0.0.1:${catalogPort}`)
      throw new Error(`the catalog listens on ${catalogUrl}, not on port ${catalogPort}`);
    return {
      gatewayUrl,
      catalogUrl,
      viewerUrl: gatewayUrl + VIEWER_PATH,
      pids: { gateway: Number(gateway[2]), catalog: catalogPid },
      output: () => output,
      stop,
    };
  } catch (error) {
    await stop();
    throw new Error(`the sample app did not start: ${(error as Error).message}\n${output}`, {
      cause: error,
    });
  }
}

/**
 * Starts the sample on two free ports. One retry: a port taken between the check and the
 * listen, or sample-app/dist being rewritten by another test file's build as it loads.
 */
async function startSampleOnFreePorts(): Promise<SampleApp> {
  try {
    const [gatewayPort, catalogPort] = await freePorts(2);
    return await startSample(gatewayPort!, catalogPort!);
  } catch (error) {
    console.warn(`${(error as Error).message}\n[test] starting the sample app once more`);
    const [gatewayPort, catalogPort] = await freePorts(2);
    return startSample(gatewayPort!, catalogPort!);
  }
}

interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly json?: unknown;
  readonly status: number;
}

/** The sample's own requests (its README), oldest first: the list shows them newest first. */
const TRAFFIC: readonly Exchange[] = [
  { method: 'GET', path: '/orders/1', headers: { 'x-correlation-id': BROWSE }, status: 200 },
  { method: 'GET', path: '/orders/42', status: 404 },
  {
    method: 'POST',
    path: '/orders/1/payment',
    headers: { authorization: 'Bearer ada' },
    status: 500,
  },
  { method: 'POST', path: '/llm/chat', json: { prompt: 'What is a trace?' }, status: 201 },
  // Not traced (ignoreRoutes): it must not show in the list.
  { method: 'GET', path: '/health', status: 200 },
  // The gateway prices both lines of order 1 by calling the catalog: one trace, two services.
  {
    method: 'GET',
    path: '/orders/1/details',
    headers: { 'x-correlation-id': CHECKOUT },
    status: 200,
  },
];

async function send(gatewayUrl: string, exchange: Exchange): Promise<void> {
  const headers: Record<string, string> = { ...exchange.headers };
  if (exchange.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(gatewayUrl + exchange.path, {
    method: exchange.method,
    headers,
    body: exchange.json === undefined ? undefined : JSON.stringify(exchange.json),
  });
  const body = await res.text();
  if (res.status !== exchange.status) {
    throw new Error(
      `${exchange.method} ${exchange.path} answered ${res.status}, expected ${exchange.status}: ${body}`,
    );
  }
}

async function traces(viewerUrl: string, query = ''): Promise<DevtoolsTraceList> {
  return (await (await fetch(`${viewerUrl}/api/traces${query}`)).json()) as DevtoolsTraceList;
}

/** Waits until the checkout trace holds the catalog's spans too (it exports every 200 ms). */
async function waitForCheckout(viewerUrl: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [checkout] = (await traces(viewerUrl, `?correlationId=${CHECKOUT}`)).traces;
    // Gateway: server, details, findOne, findById, 2 client calls; catalog: 2 x (server,
    // service, SELECT products).
    if (checkout !== undefined && checkout.spanCount >= 12 && checkout.complete) return;
    if (Date.now() > deadline)
      throw new Error(`the checkout trace is incomplete: ${JSON.stringify(checkout)}`);
    await sleep(50);
  }
}

// ---- Chromium, started here and killed by its pid ----

interface Chromium {
  readonly child: ChildProcess;
  readonly browser: Browser;
  readonly profile: string;
}

async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'nestjs-tracing-chromium-'));
  const child = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--remote-debugging-address=127.0.0.1',
      '--remote-debugging-port=0',
      'about:blank',
    ],
    // Its own process group, so its helper processes can be killed with it.
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${output}`)), 15_000);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`chromium exited (${code}):\n${output}`)));
  });
  child.stderr!.resume();
  const browser = await chromium.connectOverCDP(endpoint);
  return { child, browser, profile };
}

/** Asks chromium to quit, then kills its process group (its own, by pid) if it has not. */
async function stopChromium(instance: Chromium | undefined): Promise<void> {
  if (instance === undefined) return;
  const { child, browser, profile } = instance;
  const running = child.exitCode === null && child.signalCode === null;
  if (running) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const session = await browser.newBrowserCDPSession();
      await session.send('Browser.close');
    } catch {
      // Already gone, or not answering: the kill below settles it.
    }
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
  await browser.close().catch(() => undefined);
  rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}

describe('trace viewer in a browser, on the running sample app', needsServices('chromium'), () => {
  let sample: SampleApp | undefined;
  let browserProcess: Chromium | undefined;
  let page: Page;
  let viewerUrl: string;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureSampleBuilt();
    sample = await startSampleOnFreePorts();
    viewerUrl = sample.viewerUrl;
    for (const exchange of TRAFFIC) await send(sample.gatewayUrl, exchange);
    await waitForCheckout(viewerUrl);
    browserProcess = await launchChromium();
    const context =
      browserProcess.browser.contexts()[0] ?? (await browserProcess.browser.newContext());
    page = await context.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    const origin = new URL(sample.gatewayUrl).origin;
    page.on('request', (request) => {
      if (!request.url().startsWith(origin)) foreignRequests.push(request.url());
    });
    // Content-Security-Policy violations and script errors both end up here.
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 300_000);

  afterAll(async () => {
    await stopChromium(browserProcess);
    const exit = await sample?.stop();
    if (exit !== undefined && (exit.signal !== null || exit.code !== 0)) {
      console.error(`the sample app exited with ${exit.signal ?? exit.code}:\n${sample!.output()}`);
    }
  }, 30_000);

  it('opens the page and lists the recent traces of both services', async () => {
    await page.goto(viewerUrl);
    const rows = page.locator('#trace-rows tr');
    await rows.first().waitFor();
    await expect.poll(() => rows.count()).toBe(5);
    const names = await page.locator('#trace-rows .root-name').allTextContents();
    expect(names).toEqual([
      'GET /orders/:id/details',
      'POST /llm/chat',
      'POST /orders/:id/payment',
      'GET /orders/:id',
      'GET /orders/:id',
    ]);
    // The payment provider threw (500): a failure; order 42 does not exist (404): an expected error.
    const statuses = await page.locator('#trace-rows td:nth-child(4)').allTextContents();
    expect(statuses).toEqual(['OK200', 'OK201', 'Error500', 'OK404', 'OK200']);
    const services = await page.locator('#trace-rows td:nth-child(2)').allTextContents();
    expect(services).toEqual(['gateway +1', 'gateway', 'gateway', 'gateway', 'gateway']);
    expect(await rows.nth(0).getAttribute('title')).toContain(`correlation id ${CHECKOUT}`);
    expect(await rows.nth(4).getAttribute('title')).toContain(`correlation id ${BROWSE}`);
    expect(await page.locator('#services').textContent()).toBe('cataloggateway');
    await expect.poll(() => page.locator('#live').textContent()).toBe('Live');
    expect(await page.locator('#count').textContent()).toBe('5 traces, keeping the last 100');
  }, 30_000);

  it('opens the cross-service trace: gateway and catalog spans in one waterfall', async () => {
    await page.locator(`#trace-rows tr[title*="${CHECKOUT}"]`).click();
    await page.locator('#waterfall .wf-row').first().waitFor();
    const rows = page.locator('#waterfall .wf-row');
    // 12, and a `connect postgres` span per new pool connection of the catalog (the first calls).
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(12);
    expect(await page.locator('#trace-title').textContent()).toBe('GET /orders/:id/details');
    const meta = await page.locator('#trace-meta').textContent();
    expect(meta).toContain(`Spans ${await rows.count()}`);
    expect(meta).toContain('Services gateway, catalog');
    expect(meta).toContain(`Correlation id ${CHECKOUT}`);

    // Each row: depth, name, and "service · kind" (the second line of its tooltip).
    const tree = await rows.evaluateAll((elements) =>
      elements.map((row) => {
        const service = (row.getAttribute('title') ?? '').split('\n')[1] ?? '';
        // A fetch span is named after its method (and a route template when it knows one).
        const raw = row.querySelector('.name')?.textContent ?? '';
        const name = service.endsWith('· client') && raw.startsWith('GET') ? 'GET' : raw;
        return `${row.getAttribute('aria-level')} ${name} (${service})`;
      }),
    );
    // The gateway reads each product with plain fetch [needs the fetch integration, which
    // names the span and carries the trace on]; the catalog queries its embedded PostgreSQL
    // with pg [needs the pg integration].
    const catalogCall = [
      '3 GET (gateway · client)',
      '4 GET /products/:sku (catalog · server)',
      '5 ProductsService.findBySku (catalog · internal)',
      '6 SELECT products (catalog · client)',
    ];
    expect(tree.filter((row) => !row.includes(' connect postgres '))).toEqual([
      '1 GET /orders/:id/details (gateway · server)',
      '2 OrdersService.details (gateway · internal)',
      '3 OrdersService.findOne (gateway · internal)',
      '4 db.orders.findById (gateway · internal)',
      ...catalogCall,
      ...catalogCall,
    ]);

    // The catalog's server span: its parent is the gateway's client span, in another process.
    const gatewayClient = rows.nth(4);
    const clientSpanId = await gatewayClient.getAttribute('data-span-id');
    expect(clientSpanId).toMatch(/^[0-9a-f]{16}$/);
    await rows.nth(5).click();
    const details = page.locator('#details');
    await expect.poll(() => details.locator('h2').textContent()).toBe('GET /products/:sku');
    expect(await details.locator('.chips').textContent()).toBe('servercatalogstatus unset');
    const text = await details.textContent();
    expect(text).toContain(`Parent${clientSpanId} (remote)`);
    expect(text).toContain('http.route/products/:sku');
    expect(text).toContain('http.response.status_code200');
    // The correlation id travelled with the call, and the resource is the catalog's.
    expect(text).toContain(`correlation.id${CHECKOUT}`);
    expect(text).toContain('service.namecatalog');
    expect(new URL(page.url()).hash).toMatch(/^#trace=[0-9a-f]{32}&span=[0-9a-f]{16}$/);

    mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    // The README's picture changes only on purpose: UPDATE_SCREENSHOT=1 npm test.
    if (process.env.UPDATE_SCREENSHOT === '1') copyFileSync(SCREENSHOT, README_SCREENSHOT);
  }, 30_000);

  it("shows the gateway's fetch call to the catalog with its URL and status [needs the fetch integration]", async () => {
    const rows = page.locator('#waterfall .wf-row');
    await rows.nth(4).click();
    const details = page.locator('#details');
    await expect
      .poll(() => details.locator('.chips').textContent())
      .toBe('clientgatewaystatus unset');
    const text = await details.textContent();
    expect(text).toMatch(new RegExp(`url\\.full${sample!.catalogUrl}/products/(BOOK-001|MUG-002)`));
    expect(text).toContain('http.response.status_code200');
    const selected = await rows.evaluateAll((elements) =>
      elements.map((row) => row.getAttribute('aria-selected')),
    );
    expect(selected.indexOf('true')).toBe(4);
  }, 30_000);

  it('marks the spans of the failed payment as errors, with the exception and its log line', async () => {
    await page.locator('#trace-rows tr', { hasText: 'POST /orders/:id/payment' }).click();
    await expect
      .poll(() => page.locator('#trace-title').textContent())
      .toBe('POST /orders/:id/payment');
    const errors = page.locator('#waterfall .wf-row.error .name');
    await expect
      .poll(() => errors.allTextContents())
      .toEqual(['POST /orders/:id/payment', 'OrdersService.pay', 'PaymentsService.charge']);
    const details = page.locator('#details');

    await errors.nth(2).click();
    await expect.poll(() => details.locator('h2').textContent()).toBe('PaymentsService.charge');
    const charge = await details.textContent();
    expect(charge).toContain('Status messagecard processor unavailable (order 1)');
    expect(charge).toContain('payment.provideracme-pay');
    expect(await details.locator('.event.exception .event-name').textContent()).toBe('exception');
    expect(charge).toContain('exception.typePaymentProviderError');

    // The server span: the guard's user, and the error Nest logged, as a log line on the span.
    await errors.nth(0).click();
    await expect.poll(() => details.locator('h2').textContent()).toBe('POST /orders/:id/payment');
    const server = await details.textContent();
    expect(server).toContain('user.idada');
    expect(server).toContain('http.response.status_code500');
    const log = details.locator('.event.log');
    expect(await log.locator('.badge').textContent()).toBe('error');
    expect(await log.locator('.event-head .muted').first().textContent()).toBe(
      ' ExceptionsHandler',
    );
    expect(await log.locator('.log-message').textContent()).toBe(
      'card processor unavailable (order 1)',
    );
  }, 30_000);

  it('filters the list by correlation id', async () => {
    const rows = page.locator('#trace-rows tr');
    const filter = page.locator('#filter-correlation');
    await filter.fill(CHECKOUT);
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().locator('.root-name').textContent()).toBe('GET /orders/:id/details');
    expect(await rows.first().getAttribute('title')).toContain(CHECKOUT);
    expect(new URL(page.url()).searchParams.get('correlationId')).toBe(CHECKOUT);
    expect(await page.locator('#count').textContent()).toBe('1 of 5 traces, keeping the last 100');

    await filter.fill(BROWSE);
    await expect
      .poll(() => rows.first().getAttribute('title'))
      .toContain(`correlation id ${BROWSE}`);
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('.root-name').textContent()).toBe('GET /orders/:id');

    await filter.fill('nobody');
    await expect.poll(() => page.locator('#empty').isVisible()).toBe(true);
    expect(await rows.count()).toBe(0);
    await page.locator('button[type="reset"]').click();
    await expect.poll(() => rows.count()).toBe(5);
    expect(new URL(page.url()).searchParams.has('correlationId')).toBe(false);
  }, 30_000);

  it('shows a new trace as it arrives, without reloading', async () => {
    const rows = page.locator('#trace-rows tr');
    // Live updates only: a reload would lose this marker.
    await page.locator('body').evaluate((body) => body.setAttribute('data-not-reloaded', 'yes'));
    await send(sample!.gatewayUrl, {
      method: 'GET',
      path: '/orders/2',
      headers: { 'x-correlation-id': 'late-1' },
      status: 200,
    });
    await expect.poll(() => rows.count(), { timeout: 5000 }).toBe(6);
    expect(await rows.first().getAttribute('title')).toContain('correlation id late-1');
    expect(await rows.first().locator('.root-name').textContent()).toBe('GET /orders/:id');
    expect(await page.locator('body').getAttribute('data-not-reloaded')).toBe('yes');
  }, 30_000);

  it('loads nothing from another origin and reports no script or policy errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('stops the sample app on SIGTERM and leaves no process behind', async () => {
    // First the page, so that its event stream does not try to reconnect to a stopped gateway.
    await page.close();
    const { gateway, catalog } = sample!.pids;
    const exit = await sample!.stop();
    expect({ ...exit, output: exit.code === 0 ? '' : sample!.output() }).toEqual({
      code: 0,
      signal: null,
      leftovers: [],
      output: '',
    });
    expect([gateway, catalog].filter(isAlive)).toEqual([]);
  }, 30_000);
});
