// Inlines the trace viewer's page script (lib/devtools/assets/browser/viewer.js) into the
// built lib/devtools/assets/devtools-script.ts, which reads the file when run from sources.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const SOURCE = new URL('../lib/devtools/assets/browser/viewer.js', import.meta.url);
const MODULE = 'devtools/assets/devtools-script.js';

/** Rewrites the compiled module under `outDir` (a dist URL) as `format` ('esm' or 'cjs'). */
export function inlineViewer(outDir, format) {
  const target = new URL(MODULE, outDir);
  const compiled = readFileSync(target, 'utf8');
  // Fail loudly if the module no longer reads the viewer: this step would then ship stale code.
  if (!compiled.includes('browser/viewer.js')) {
    throw new Error(
      `${target.pathname} no longer reads browser/viewer.js: update scripts/inline-viewer.mjs`,
    );
  }
  const script = JSON.stringify(readFileSync(SOURCE, 'utf8'));
  const body =
    format === 'esm'
      ? `export const DEVTOOLS_SCRIPT = ${script};\n`
      : `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.DEVTOOLS_SCRIPT = ${script};\n`;
  writeFileSync(
    target,
    `// Built from lib/devtools/assets/browser/viewer.js by scripts/inline-viewer.mjs.\n${body}`,
  );
  rmSync(new URL(`${MODULE}.map`, outDir), { force: true });
}
