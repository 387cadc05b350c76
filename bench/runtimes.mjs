// Runs a bench script on the current Node.js and then on each other major in BENCH_RUNTIMES
// (default: 24), fetched once from the npm registry's node-linux-<arch> package into .cache/
// (scripts/node-runtime.sh), passing the remaining arguments through.
// Usage: node bench/runtimes.mjs bench/run.mjs [args...]
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const [script, ...args] = process.argv.slice(2);
const root = fileURLToPath(new URL('..', import.meta.url));
const current = process.versions.node.split('.')[0];
const majors = [...new Set((process.env.BENCH_RUNTIMES ?? `${current},24`).split(','))];
let failed = 0;
for (const major of majors) {
  const node =
    major === current
      ? process.execPath
      : execFileSync(`${root}/scripts/node-runtime.sh`, [major], { encoding: 'utf8' }).trim();
  console.log(`\n=== ${script} on Node ${major} (${node}) ===\n`);
  const { status } = spawnSync(node, [script, ...args], { stdio: 'inherit' });
  if (status !== 0) failed = status ?? 1;
}
process.exit(failed);
