import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SpanKind,
  Traced,
  TracingModule,
  TracingService,
  type DevtoolsTraceList,
} from '../../lib/index.js';

// The trace viewer in a real browser (Debian's chromium, driven by playwright-core)
// against two running services: a gateway with the viewer on, and a catalog that sends
// its spans to it. To run this against the sample app instead, replace `startServices`
// with one that starts `sample-app/dist/main.js` (GATEWAY_PORT=0, CATALOG_PORT=0) and
// reads the URLs it prints: the routes and the viewer path below are the sample's.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const VIEWER_PATH = '/_tracing';
const SCREENSHOT = join(ROOT, 'test/artifacts/devtools.png');
const README_SCREENSHOT = join(ROOT, 'docs/devtools.png');
const CHECKOUT = 'checkout-42';

// ---- Two services, shaped like the sample app ----

const CATALOG_URL = Symbol('CATALOG_URL');
const PRODUCTS: Record<string, { sku: string; name: string; price: number }> = {
  'BOOK-001': { sku: 'BOOK-001', name: 'The Pragmatic Programmer', price: 42 },
  'MUG-002': { sku: 'MUG-002', name: 'Coffee mug', price: 12 },
};

@Injectable()
class ProductsRepository {
  @Traced('db.products.findBySku')
  async findBySku(sku: string) {
    await sleep(3);
    return PRODUCTS[sku];
  }
}

@Injectable()
class ProductsService {
  constructor(private readonly repo: ProductsRepository) {}

  @Traced()
  async findBySku(sku: string) {
    await sleep(1);
    const product = await this.repo.findBySku(sku);
    if (product === undefined) throw new NotFoundException(`no product ${sku}`);
    return product;
  }
}

@Controller('products')
class ProductsController {
  constructor(private readonly products: ProductsService) {}

  @Get(':sku')
  findOne(@Param('sku') sku: string) {
    return this.products.findBySku(sku);
  }
}

@Injectable()
class CatalogClient {
  constructor(
    private readonly tracing: TracingService,
    @Inject(CATALOG_URL) private readonly catalog: { url: string },
  ) {}

  getProduct(sku: string) {
    const url = `${this.catalog.url}/products/${sku}`;
    return this.tracing.withSpan(
      'GET /products/:sku',
      async (span) => {
        span.setAttributes({ 'http.request.method': 'GET', 'url.full': url });
        const res = await fetch(url, { headers: this.tracing.inject<Record<string, string>>({}) });
        span.setAttribute('http.response.status_code', res.status);
        return (await res.json()) as { sku: string; price: number };
      },
      { kind: SpanKind.CLIENT },
    );
  }
}

@Injectable()
class OrdersService {
  constructor(
    private readonly catalog: CatalogClient,
    private readonly tracing: TracingService,
  ) {}

  @Traced()
  async findOne(id: number) {
    await sleep(2);
    if (id > 10) throw new NotFoundException(`no order ${id}`);
    return { id, lines: ['BOOK-001', 'MUG-002'] };
  }

  @Traced()
  async details(id: number) {
    const order = await this.findOne(id);
    const products = [];
    for (const sku of order.lines) products.push(await this.catalog.getProduct(sku));
    return { ...order, products };
  }

  @Traced('payments.charge')
  async pay(id: number): Promise<never> {
    await sleep(4);
    // A log line as TraceLogger records it on the active span.
    this.tracing.addEvent('log', {
      'log.severity': 'warn',
      'log.message': `retrying the charge of order ${id}`,
      'log.context': 'PaymentsService',
    });
    throw new Error('payment provider unavailable');
  }
}

@Controller('orders')
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get(':id')
  findOne(@Param('id', ParseIntPipe) id: number) {
    return this.orders.findOne(id);
  }

  @Get(':id/details')
  details(@Param('id', ParseIntPipe) id: number) {
    return this.orders.details(id);
  }

  @Post(':id/payment')
  @HttpCode(200)
  pay(@Param('id', ParseIntPipe) id: number) {
    return this.orders.pay(id);
  }
}

interface RunningServices {
  readonly gatewayUrl: string;
  readonly viewerUrl: string;
  stop(): Promise<void>;
}

async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1');
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}

/** Both services in this process, each with its own TracingModule, on free ports. */
async function startServices(): Promise<RunningServices> {
  const catalogAddress = { url: '' };
  @Module({
    imports: [TracingModule.forRoot({ serviceName: 'gateway', exporters: [], devtools: true })],
    controllers: [OrdersController],
    providers: [OrdersService, CatalogClient, { provide: CATALOG_URL, useValue: catalogAddress }],
  })
  class GatewayModule {}
  const gateway = await NestFactory.create(GatewayModule, new ExpressAdapter(), { logger: false });
  const gatewayUrl = await listen(gateway);
  const viewerUrl = gatewayUrl + VIEWER_PATH;

  @Module({
    imports: [
      TracingModule.forRoot({
        serviceName: 'catalog',
        exporters: [
          {
            type: 'otlp',
            url: `${viewerUrl}/v1/traces`,
            protocol: 'http/json',
            batch: { scheduledDelayMs: 50 },
          },
        ],
      }),
    ],
    controllers: [ProductsController],
    providers: [ProductsService, ProductsRepository],
  })
  class CatalogModule {}
  const catalog = await NestFactory.create(CatalogModule, new ExpressAdapter(), { logger: false });
  catalogAddress.url = await listen(catalog);
  return {
    gatewayUrl,
    viewerUrl,
    async stop() {
      await catalog.close();
      await gateway.close();
    },
  };
}

/** The requests the sample app's README suggests. */
async function sendTraffic(gatewayUrl: string): Promise<void> {
  const send = (path: string, init: RequestInit = {}) =>
    fetch(gatewayUrl + path, init).then((res) => res.arrayBuffer());
  await send('/orders/1', { headers: { 'x-correlation-id': 'browse-1' } });
  await send('/orders/42');
  await send('/orders/1/payment', { method: 'POST', headers: { authorization: 'Bearer ada' } });
  await send('/orders/2/details');
  await send('/orders/1/details', { headers: { 'x-correlation-id': CHECKOUT } });
}

async function traces(viewerUrl: string, query = ''): Promise<DevtoolsTraceList> {
  return (await (await fetch(`${viewerUrl}/api/traces${query}`)).json()) as DevtoolsTraceList;
}

/** Waits until the checkout trace holds the spans of both services. */
async function waitForCheckout(viewerUrl: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [checkout] = (await traces(viewerUrl, `?correlationId=${CHECKOUT}`)).traces;
    // Gateway: server, details, findOne, 2 client calls; catalog: 2 x (server, service, db).
    if (checkout !== undefined && checkout.spanCount >= 11 && checkout.complete) return;
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

describe('trace viewer in a browser', () => {
  let services: RunningServices;
  let browserProcess: Chromium | undefined;
  let page: Page;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    services = await startServices();
    await sendTraffic(services.gatewayUrl);
    await waitForCheckout(services.viewerUrl);
    browserProcess = await launchChromium();
    const context =
      browserProcess.browser.contexts()[0] ?? (await browserProcess.browser.newContext());
    page = await context.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    const origin = new URL(services.gatewayUrl).origin;
    page.on('request', (request) => {
      if (!request.url().startsWith(origin)) foreignRequests.push(request.url());
    });
    // Content-Security-Policy violations and script errors both end up here.
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await stopChromium(browserProcess);
    await services?.stop();
  });

  it('opens the page and lists the recent traces', async () => {
    await page.goto(services.viewerUrl);
    const rows = page.locator('#trace-rows tr');
    await rows.first().waitFor();
    await expect.poll(() => rows.count()).toBe(5);
    const names = await page.locator('#trace-rows .root-name').allTextContents();
    expect(names).toEqual([
      'GET /orders/:id/details',
      'GET /orders/:id/details',
      'POST /orders/:id/payment',
      'GET /orders/:id',
      'GET /orders/:id',
    ]);
    // The payment failed (500); the unknown order's lookup threw (404); the rest went well.
    const statuses = await page.locator('#trace-rows td:nth-child(4)').allTextContents();
    expect(statuses).toEqual(['OK200', 'OK200', 'Error500', 'Error404', 'OK200']);
    expect(await page.locator('#live').textContent()).toBe('Live');
    expect(await page.locator('#count').textContent()).toBe('5 traces, keeping the last 100');
  }, 30_000);

  it('opens a trace that crosses both services and shows its spans in the waterfall', async () => {
    await page.locator(`#trace-rows tr[title*="${CHECKOUT}"]`).click();
    await page.locator('#waterfall .wf-row').first().waitFor();
    const rows = page.locator('#waterfall .wf-row');
    await expect.poll(() => rows.count()).toBe(11);
    expect(await page.locator('#trace-title').textContent()).toBe('GET /orders/:id/details');
    expect(await page.locator('#trace-meta').textContent()).toContain('Services gateway, catalog');
    const names = await page.locator('#waterfall .wf-row .name').allTextContents();
    expect(names.slice(0, 4)).toEqual([
      'GET /orders/:id/details',
      'OrdersService.details',
      'OrdersService.findOne',
      'GET /products/:sku',
    ]);
    expect(names.filter((n) => n === 'db.products.findBySku')).toHaveLength(2);
    // The catalog's server span, nested under the gateway's client span.
    const catalogServer = rows.nth(4);
    expect(await catalogServer.getAttribute('aria-level')).toBe('4');
    await catalogServer.click();
    const details = page.locator('#details');
    await expect.poll(() => details.locator('h2').textContent()).toBe('GET /products/:sku');
    expect(await details.textContent()).toContain('catalog');
    expect(await details.textContent()).toContain('http.route/products/:sku');
    expect(await details.textContent()).toContain(`correlation.id${CHECKOUT}`);
    expect(new URL(page.url()).hash).toMatch(/^#trace=[0-9a-f]{32}&span=[0-9a-f]{16}$/);

    mkdirSync(join(ROOT, 'test/artifacts'), { recursive: true });
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    copyFileSync(SCREENSHOT, README_SCREENSHOT);
  }, 30_000);

  it('marks the spans of a failed request as errors', async () => {
    await page.locator('#trace-rows tr', { hasText: 'POST /orders/:id/payment' }).click();
    await expect
      .poll(() => page.locator('#trace-title').textContent())
      .toBe('POST /orders/:id/payment');
    const errors = page.locator('#waterfall .wf-row.error .name');
    await expect
      .poll(() => errors.allTextContents())
      .toEqual(['POST /orders/:id/payment', 'payments.charge']);
    await errors.nth(1).click();
    const details = page.locator('#details');
    expect(await details.textContent()).toContain('payment provider unavailable');
    const log = details.locator('.event.log');
    expect(await log.locator('.badge').textContent()).toBe('warn');
    expect(await log.locator('.log-message').textContent()).toBe('retrying the charge of order 1');
  }, 30_000);

  it('filters the list by correlation id', async () => {
    await page.locator('#filter-correlation').fill(CHECKOUT);
    const rows = page.locator('#trace-rows tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('title')).toContain(CHECKOUT);
    expect(new URL(page.url()).searchParams.get('correlationId')).toBe(CHECKOUT);
    await page.locator('#filter-correlation').fill('nobody');
    await expect.poll(() => page.locator('#empty').isVisible()).toBe(true);
    await page.locator('button[type="reset"]').click();
    await expect.poll(() => rows.count()).toBe(5);
  }, 30_000);

  it('shows a new trace as it arrives, without reloading', async () => {
    await fetch(`${services.gatewayUrl}/orders/3`, { headers: { 'x-correlation-id': 'late-1' } });
    await expect.poll(() => page.locator('#trace-rows tr').count(), { timeout: 5000 }).toBe(6);
    expect(await page.locator('#trace-rows tr').first().getAttribute('title')).toContain('late-1');
  }, 30_000);

  it('loads nothing from another origin and reports no script or policy errors', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
