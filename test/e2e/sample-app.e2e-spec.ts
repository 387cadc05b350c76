import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSampleBuilt, isAlive, runNode, type NodeRun } from '../fixtures/sample-app-build.js';

// The catalog starts an embedded PostgreSQL (PGlite, initdb in WebAssembly): seconds on an idle
// machine, tens of seconds on a busy one.
const DEMO_TIMEOUT_MS = 150_000;

describe('sample app demo', () => {
  let demo: NodeRun;

  beforeAll(async () => {
    await ensureSampleBuilt();
    demo = await runNode(['sample-app/dist/demo.js'], DEMO_TIMEOUT_MS, {
      ...process.env,
      NO_COLOR: '1',
    });
  }, 300_000);

  it('exits 0 after every request answered as expected', () => {
    expect(demo.output).toContain('demo: every request answered as expected');
    // On failure the demo's own report says what went wrong.
    if (demo.code !== 0) console.error(demo.output);
    expect(demo.signal).toBeNull();
    expect(demo.code).toBe(0);
  });

  it('prints the gateway and catalog trees of the cross-service request under one trace id', () => {
    const traceId = /order details[^\n]*\n[^\n]*\n\s+→ 200 in \d+ ms, trace ([0-9a-f]{32})/.exec(
      demo.output,
    )?.[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(demo.output).toContain(`gateway │ trace ${traceId}  gateway `);
    expect(demo.output).toMatch(
      /gateway │ GET \/orders\/:id\/details \[server\] .*http\.response\.status_code=200/,
    );
    // Plain fetch: the fetch integration's CLIENT span [needs the fetch integration].
    expect(demo.output).toMatch(
      /gateway │ {4}├─ GET[^\n[]* \[client\] [^\n]*url\.full=http:\/\/127\.0\.0\.1:\d+\/products\/BOOK-001/,
    );
    // The catalog, another process, continued the same trace: one tree per call.
    expect(demo.output.split(`catalog │ trace ${traceId}  catalog `)).toHaveLength(3);
    expect(demo.output).toMatch(
      /catalog │ GET \/products\/:sku \[server\] .*http\.route=\/products\/:sku/,
    );
    expect(demo.output).toContain('catalog │ └─ ProductsService.findBySku [internal]');
    expect(demo.output).toContain('✓ one trace across both services');
  });

  it("traces the catalog's embedded PostgreSQL: one query span per call, no literal [needs the pg integration]", () => {
    // PGlite served over TCP, queried with the real pg client: the pg integration's span,
    // named from the query summary, under the service span, with the statement sanitized.
    const queries = demo.output.match(
      /catalog │ [ │]*[└├]─ SELECT products \[client\] [^\n]*db\.system\.name=postgresql db\.query\.text="?SELECT sku, name, price_cents, stock FROM products WHERE sku = \$1/g,
    );
    // Two calls for the order details, one for the stock stream.
    expect(queries).toHaveLength(3);
    expect(demo.output).toContain(
      "✓ the catalog's database: 2 PostgreSQL query span(s), SELECT products",
    );
    expect(demo.output).not.toMatch(/db\.query\.text=[^\n]*(BOOK-001|MUG-002)/);
  });

  it('relays the catalog SSE stream through TracedHttpService in one trace, with stream figures', () => {
    const traceId = /stock updates[^\n]*\n[^\n]*\n\s+→ 200 in \d+ ms, trace ([0-9a-f]{32})/.exec(
      demo.output,
    )?.[1];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(demo.output).toContain(`gateway │ trace ${traceId}  gateway `);
    expect(demo.output).toMatch(
      /gateway │ GET \/orders\/:id\/stock \[server\] .*http\.response\.status_code=200/,
    );
    expect(demo.output).toMatch(
      /gateway │ {4}└─ GET \/products\/:sku\/stock-events \[client\] .*nestjs_tracing\.stream\.kind=sse nestjs_tracing\.stream\.chunks=\d+ nestjs_tracing\.stream\.bytes=\d+/,
    );
    expect(demo.output).toContain(`catalog │ trace ${traceId}  catalog `);
    expect(demo.output).toMatch(/catalog │ GET \/products\/:sku\/stock-events \[server\] /);
  });

  it('marks the failing request as an error with its exception', () => {
    expect(demo.output).toMatch(
      /gateway │ POST \/orders\/:id\/payment \[server\] [\d.]+ ms ERROR.*http\.response\.status_code=500/,
    );
    expect(demo.output).toMatch(
      /PaymentsService\.charge \[internal\] [\d.]+ ms ERROR: card processor unavailable/,
    );
    expect(demo.output).toContain('! PaymentProviderError: card processor unavailable (order 1)');
  });

  it('traces the correlated request, the 401 and the 404, and not /health', () => {
    expect(demo.output).toMatch(
      /gateway │ GET \/orders\/:id \[server\] .*http\.response\.status_code=200/,
    );
    expect(demo.output).toMatch(/http\.response\.status_code=401/);
    expect(demo.output).toContain('! NotFoundException: No order with id 42');
    expect(demo.output).not.toContain('/health [server]');
  });

  it('leaves no service process behind', () => {
    const pids = [...demo.output.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids).toHaveLength(2);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
