// Cost of the graphql integration per operation, in one process, no server: graphql-js 17's
// `graphql()` on a small schema (a query with a nested list), rounds alternating between
//   untraced   no integration subscribed (graphql's own no-subscriber path)
//   traced     the integration subscribed (defaults): an operation span plus parse and
//              validate spans, operation name and type set on the request's span
//   resolvers  the same with `integrations: { graphql: { resolvers: true } }`: a span per
//              resolver that is not a built-in scalar's
//   empty-sub  no integration; handlers that do nothing on graphql's parse, validate and
//              execute channels: what graphql's own TracingChannel path costs once anyone listens
// Every case runs inside the same request context (a sampled parent span), so the difference
// is the integration. Spans go through a BatchSpanProcessor to an exporter that discards.
// Reports the median CPU per operation and the spans each one made.
// Run: `npm run build && node bench/graphql.mjs` (BENCH_ROUNDS, BENCH_CALLS to change).
import { tracingChannel } from 'node:diagnostics_channel';
import { buildSchema, graphql } from 'graphql';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];

const schema = buildSchema(`
  type Post { id: ID!, title: String! }
  type User { id: ID!, name: String!, posts: [Post!]! }
  type Query { user(id: ID!): User }
`);
const posts = Array.from({ length: 5 }, (_, i) => ({ id: String(i), title: `post ${i}` }));
const rootValue = {
  user: async ({ id }) => ({ id, name: 'Ada', posts: async () => posts }),
};
const source = 'query GetUser($id: ID!) { user(id: $id) { id name posts { id title } } }';

async function main() {
  const lib = { ...(await import('nestjs-tracing')), ...(await import('nestjs-tracing/export')) };
  // Internal paths on purpose: the integrations and their registry are not public API.
  const { IntegrationRegistry } = await import('../dist/integrations/registry.js');
  const { createIntegrationHost } = await import('../dist/integrations/host.js');
  const { resolveTracingConfig } = await import('../dist/config/tracing-config.js');
  const { graphqlIntegration } = await import('../dist/integrations/graphql.integration.js');

  let exported = 0;
  const exporter = {
    export(spans) {
      exported += spans.length;
      return Promise.resolve({ code: lib.ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
  const processor = new lib.BatchSpanProcessor(exporter);
  const tracer = new lib.Tracer({
    processor,
    resource: { attributes: { 'service.name': 'bench' } },
  });
  const hostFor = (integrations) =>
    createIntegrationHost(tracer, resolveTracingConfig({ serviceName: 'bench', integrations }, {}));
  const cases = {
    untraced: undefined,
    traced: hostFor({}),
    resolvers: hostFor({ graphql: { resolvers: true } }),
    'empty-sub': 'empty',
  };
  const noop = () => {};
  const handlers = { start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop };
  const channels = ['graphql:parse', 'graphql:validate', 'graphql:execute'].map((name) =>
    tracingChannel(name),
  );
  const emptySubscriber = () => {
    for (const channel of channels) channel.subscribe(handlers);
    return { unregister: () => channels.forEach((channel) => channel.unsubscribe(handlers)) };
  };
  const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  const spans = Object.fromEntries(Object.keys(cases).map((k) => [k, 0]));

  const run = async (id, n) => {
    const host = cases[id];
    const registered =
      host === 'empty'
        ? emptySubscriber()
        : host && new IntegrationRegistry([graphqlIntegration]).register(host);
    const parent = tracer.startSpan('POST /graphql', { kind: lib.SpanKind.SERVER });
    const context = new lib.TraceContext(parent, 'corr', undefined, tracer, false);
    try {
      const loop = async () => {
        for (let i = 0; i < n; i++) {
          const result = await graphql({ schema, source, rootValue, variableValues: { id: '7' } });
          if (result.errors) throw result.errors[0];
        }
      };
      const cpu0 = process.cpuUsage();
      await lib.runWithContext(context, loop);
      const used = process.cpuUsage(cpu0);
      return (used.user + used.system) / n;
    } finally {
      parent.end();
      registered?.unregister();
    }
  };

  for (const id of Object.keys(cases)) await run(id, CALLS); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const id of Object.keys(cases)) {
      await processor.forceFlush();
      const before = exported;
      samples[id].push(await run(id, CALLS));
      await processor.forceFlush();
      spans[id] += exported - before - 1; // less the request's own span
    }
  }
  const base = median(samples.untraced);
  const rows = Object.keys(cases).map((id) => ({
    case: id,
    'cpu µs/op': median(samples[id]).toFixed(1),
    'added µs/op': id === 'untraced' ? '' : (median(samples[id]) - base).toFixed(1),
    'spans/op': (spans[id] / (ROUNDS * CALLS)).toFixed(2),
  }));
  console.log(
    `Node ${process.version}, graphql ${(await import('graphql')).version}, ${ROUNDS} alternated rounds of ${CALLS} operations, medians`,
  );
  console.table(rows);
  await processor.shutdown();
}

await main();
