// Builds the package: the ESM build in dist/ (type-checked) and the CommonJS build in
// dist/cjs/, marked CommonJS by its own package.json. package.json's `exports` sends every
// Node.js that has require(esm) to the ESM build, for `import` and `require` alike
// (`module-sync`), so one process never holds two copies of the module's state; the
// CommonJS build serves the runtimes without it, Jest above all. The trace viewer's page script
// is inlined into both (inline-viewer.mjs).
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { inlineViewer } from './inline-viewer.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

function compile(project) {
  const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
compile('tsconfig.build.json');
inlineViewer(new URL('../dist/', import.meta.url), 'esm');
compile('tsconfig.cjs.json');
inlineViewer(new URL('../dist/cjs/', import.meta.url), 'cjs');
writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
