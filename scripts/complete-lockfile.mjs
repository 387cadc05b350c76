#!/usr/bin/env node
// The npm registry this project is built against serves only some platform builds of
// native packages (swc, oxlint): npm leaves the missing ones out of package-lock.json,
// and `npm ci` then refuses the lock as out of sync. This adds each missing optional
// dependency with the os/cpu/libc its name declares, so `npm ci` skips it on other
// platforms instead of failing. Run it after every `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const OS = [
  'darwin',
  'linux',
  'win32',
  'android',
  'freebsd',
  'openharmony',
  'sunos',
  'aix',
  'netbsd',
  'openbsd',
];
const CPU = ['arm64', 'x64', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'arm'];

const added = [];
for (const [path, meta] of Object.entries(packages)) {
  const nested = path ? `${path}/node_modules/` : 'node_modules/';
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    if (packages[`node_modules/${name}`] || packages[nested + name]) continue;
    const base = name.split('/').pop();
    const entry = { version, optional: true };
    if (meta.dev) entry.dev = true;
    const os = OS.find((o) => base.includes(`-${o}`));
    if (os) entry.os = [os];
    const cpu = CPU.find((c) => new RegExp(`-${c}(-|$)`).test(base));
    if (cpu) entry.cpu = [cpu];
    if (base.includes('-musl')) entry.libc = ['musl'];
    else if (base.includes('-gnu')) entry.libc = ['glibc'];
    packages[`node_modules/${name}`] = entry;
    added.push(`${name}@${version}`);
  }
}

const [rootKey, ...rest] = Object.keys(packages);
const sorted = { [rootKey]: packages[rootKey] };
for (const key of rest.sort()) sorted[key] = packages[key];
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  added.length
    ? `added ${added.length} platform entries: ${added.join(', ')}`
    : 'lock file complete',
);
