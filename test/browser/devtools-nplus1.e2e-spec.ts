import { Controller, Get, Injectable, Module, type INestApplication } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Traced, TracingModule, type DevtoolsTraceList } from '../../lib/index.js';
import { endDbSpan, startDbSpan } from '../../lib/integrations/db-span.js';
import { integrationRegistry } from '../../lib/integrations/index.js';
import { startApp } from '../fixtures/platforms.js';
import { binaryPath, needsServices } from '../fixtures/system-services.js';

// The N+1 mark in a real browser (Debian's chromium, driven by playwright-core): an app
// whose service runs one query per order, its database spans made as the integrations make
// them (startDbSpan/endDbSpan through the integration registry), shown by its own viewer.

const CHROMIUM = binaryPath('chromium');
const VIEWER = '/_tracing';
const ORDERS = 12;

async function query(text: string): Promise<void> {
  const active = integrationRegistry.current('pg');
  const span =
    active && startDbSpan(active, { system: 'postgresql', sql: { text, dialect: 'postgresql' } });
  await new Promise((resolve) => setTimeout(resolve, 1));
  if (span !== undefined) endDbSpan(span);
}

@Injectable()
class OrdersService {
  /** The ORM loop: the orders, then each order's customer, one query each. */
  @Traced()
  async withCustomers(): Promise<number> {
    await query('SELECT id, user_id FROM orders LIMIT 12');
    for (let id = 1; id <= ORDERS; id++) await query(`SELECT * FROM users WHERE id = ${id}`);
    return ORDERS;
  }

  /** The same work in one query. */
  @Traced()
  async joined(): Promise<number> {
    await query('SELECT * FROM orders JOIN users ON users.id = orders.user_id LIMIT 12');
    return ORDERS;
  }
}

@Controller('orders')
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get('n-plus-one')
  async nPlusOne(): Promise<{ orders: number }> {
    return { orders: await this.orders.withCustomers() };
  }

  @Get('joined')
  async joined(): Promise<{ orders: number }> {
    return { orders: await this.orders.joined() };
  }
}

@Module({
  imports: [TracingModule.forRoot({ serviceName: 'shop', devtools: { path: VIEWER } })],
  controllers: [OrdersController],
  providers: [OrdersService],
})
class ShopModule {}

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
  return { child, browser: await chromium.connectOverCDP(endpoint), profile };
}

/** Asks chromium to quit, then kills its process group (its own, by pid) if it has not. */
async function stopChromium(instance: Chromium | undefined): Promise<void> {
  if (instance === undefined) return;
  const { child, browser, profile } = instance;
  if (child.exitCode === null && child.signalCode === null) {
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

describe('N+1 mark in the trace viewer, in a browser', needsServices('chromium'), () => {
  let app: INestApplication | undefined;
  let url: string;
  let browserProcess: Chromium | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ({ app, url } = await startApp(ShopModule, 'express'));
    browserProcess = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await stopChromium(browserProcess);
    await app?.close();
  }, 30_000);

  async function traceOf(path: string): Promise<string> {
    expect((await fetch(url + path)).status).toBe(200);
    const list = (await (await fetch(`${url}${VIEWER}/api/traces`)).json()) as DevtoolsTraceList;
    const trace = list.traces.find((t) => t.route === path);
    expect(trace).toBeDefined();
    return trace!.traceId;
  }

  it('shows "N+1: 12× SELECT users" with the total time on the looping span, and not on the join', async () => {
    const loop = await traceOf('/orders/n-plus-one');
    const joined = await traceOf('/orders/joined');
    const context =
      browserProcess!.browser.contexts()[0] ?? (await browserProcess!.browser.newContext());
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.setViewportSize({ width: 1440, height: 900 });

    await page.goto(`${url}${VIEWER}#trace=${loop}`);
    await page.locator('#waterfall .wf-row').first().waitFor();
    await expect.poll(() => page.locator('#waterfall .wf-row').count()).toBe(ORDERS + 3);
    const badge = page.locator('#waterfall .wf-row .badge.nplus1');
    await expect.poll(() => badge.count()).toBe(1);
    expect(await badge.isVisible()).toBe(true);
    const text = (await badge.textContent())!;
    expect(text).toMatch(/^N\+1: 12× SELECT users, [\d.]+ m?s$/);
    // On the service span's row, whose children are the calls.
    const row = page.locator('#waterfall .wf-row', { has: page.locator('.badge.nplus1') });
    expect(await row.locator('.name').textContent()).toBe('OrdersService.withCustomers');
    expect(await badge.getAttribute('title')).toContain('SELECT * FROM users WHERE id = ?');
    // The whole mark shows (not cut with an ellipsis), inside the row's name column.
    const fits = await badge.evaluate((el) => el.scrollWidth <= el.clientWidth);
    expect(fits).toBe(true);
    const box = (await badge.boundingBox())!;
    const nameBox = (await row.locator('.wf-name').boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(nameBox.x + nameBox.width);
    expect(await row.locator('.name').evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(
      true,
    );
    expect(await page.locator('#trace-meta').textContent()).toContain('N+1 1 span');
    await page.screenshot({ path: join(process.cwd(), 'test/artifacts/devtools-nplus1.png') });

    // Selecting the row lists the query in the details.
    await row.click();
    const details = page.locator('#details');
    await expect.poll(() => details.textContent()).toContain('Repeated queries (N+1)');
    expect(await details.locator('pre.body').first().textContent()).toBe(
      'SELECT * FROM users WHERE id = ?',
    );

    // The joined query: one call, no mark.
    // Only the hash changes: load the page again for it.
    await page.goto(`${url}${VIEWER}#trace=${joined}`);
    await page.reload();
    await page.locator('#waterfall .wf-row').first().waitFor();
    await expect.poll(() => page.locator('#waterfall .wf-row').count()).toBe(3);
    expect(await page.locator('.badge.nplus1').count()).toBe(0);
    expect(await page.locator('#trace-meta').textContent()).not.toContain('N+1');
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
