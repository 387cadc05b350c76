import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where an app's copy of a package lives, and its version. */
export interface FoundPackage {
  /** The directory holding `node_modules/<name>`: requiring from there gets the app's copy. */
  readonly base: string;
  readonly dir: string;
  readonly version: string;
  /** `require(name)` as the app's own code would (the same instance in the module cache). */
  load(): unknown;
}

/** Directories an app's packages resolve from: the working directory and the main script's. */
function searchRoots(): string[] {
  const roots = [process.cwd()];
  const main = process.argv[1];
  if (main) roots.push(dirname(main));
  return roots;
}

const found = new Map<string, FoundPackage | null>();

/**
 * Finds the app's copy of `name` without loading it (a missing package costs one directory
 * walk, once): `node_modules/<name>/package.json` in the working directory, the main script's
 * directory, or any parent of theirs.
 */
export function findPackage(name: string): FoundPackage | undefined {
  const cached = found.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let result: FoundPackage | undefined;
  for (const root of searchRoots()) {
    for (let dir = root; ; dir = dirname(dir)) {
      const manifest = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(manifest)) {
        result = describe(name, dir, manifest);
        break;
      }
      if (dirname(dir) === dir) break;
    }
    if (result !== undefined) break;
  }
  found.set(name, result ?? null);
  return result;
}

function describe(name: string, base: string, manifest: string): FoundPackage | undefined {
  let version: string;
  try {
    version = String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version);
  } catch {
    return undefined;
  }
  return {
    base,
    dir: dirname(manifest),
    version,
    load: () => createRequire(join(base, 'package.json'))(name) as unknown,
  };
}

/** True when `version` (x.y.z, pre-release ignored) is at least `min` (x.y). */
export function atLeast(version: string, min: string): boolean {
  const have = version.split(/[.+-]/).map(Number);
  const want = min.split('.').map(Number);
  for (let i = 0; i < want.length; i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (Number.isNaN(a)) return false;
    if (a !== b) return a > b;
  }
  return true;
}

/** For tests: forget what was found. */
export function resetPackageLookup(): void {
  found.clear();
}
