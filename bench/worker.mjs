// One benchmark group in a fresh process: `node --expose-gc bench/worker.mjs <group>`.
// Started by run.mjs, which receives the result over IPC.
import 'reflect-metadata';
import { GROUPS } from './groups.mjs';
import { runCases } from './harness.mjs';

const name = process.argv[2];
const options = JSON.parse(process.argv[3] ?? '{}');
const group = GROUPS[name];
if (!group) throw new Error(`unknown group "${name}"; expected one of ${Object.keys(GROUPS)}`);

const { cases, finish } = await group();
const results = await runCases(cases, {
  warmup: options.warmup ?? 200_000,
  rounds: options.rounds ?? 5,
  roundMs: options.roundMs ?? 30,
});
const checks = (await finish?.()) ?? {};
const cpu = process.cpuUsage();
const message = { group: name, results, checks, cpuMs: (cpu.user + cpu.system) / 1000 };
if (process.send) process.send(message);
else console.log(JSON.stringify(message, null, 2));
