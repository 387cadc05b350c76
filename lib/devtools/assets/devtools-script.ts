import { readFileSync } from 'node:fs';

/**
 * The viewer's page script: browser/viewer.js, a linted and type-checked file of its own.
 * Read here when the library runs from its sources (tests); the build (scripts/build.mjs)
 * replaces this module in dist with the script inlined as a string, so the package reads
 * no file at run time and bundles as one.
 */
export const DEVTOOLS_SCRIPT: string = readFileSync(
  new URL('./browser/viewer.js', import.meta.url),
  'utf8',
);
