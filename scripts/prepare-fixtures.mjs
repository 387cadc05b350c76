// Installs the dependencies of every test fixture that pins its own (test/fixtures/*/package-lock.json),
// e.g. the NestJS 11 consumer app. Runs as `pretest`; skips a fixture whose install is newer than
// its lock file, so a second run costs a few stat calls.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const fixturesDir = join(root, 'test', 'fixtures');

/** npm writes node_modules/.package-lock.json at the end of every install: its age is the install's. */
function isUpToDate(dir) {
  const marker = join(dir, 'node_modules', '.package-lock.json');
  if (!existsSync(marker)) return false;
  return statSync(marker).mtimeMs >= statSync(join(dir, 'package-lock.json')).mtimeMs;
}

/** The npm that runs this script (npm sets npm_execpath), else the one on PATH. */
function npmCommand(args) {
  const execPath = process.env.npm_execpath;
  if (execPath && /\.(c|m)?js$/.test(execPath)) {
    return { command: process.execPath, args: [execPath, ...args], shell: false };
  }
  return { command: 'npm', args, shell: process.platform === 'win32' };
}

function install(dir, name) {
  const { command, args, shell } = npmCommand(['ci', '--no-audit', '--no-fund']);
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd: dir,
    shell,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error || result.status !== 0) {
    const reason = result.error
      ? result.error.message
      : `exit code ${result.status ?? `signal ${result.signal}`}`;
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim();
    console.error(`prepare-fixtures: ${name}: \`npm ci\` failed (${reason}).`);
    if (output) console.error(output);
    console.error(
      `prepare-fixtures: fix the fixture's package.json/package-lock.json, or run \`npm ci\` in ${name} to see the full error.`,
    );
    process.exit(1);
  }
  console.log(`prepare-fixtures: ${name}: installed (${Date.now() - started} ms)`);
}

const fixtures = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(fixturesDir, entry.name))
  .filter((dir) => existsSync(join(dir, 'package-lock.json')))
  .toSorted();

for (const dir of fixtures) {
  const name = relative(root, dir);
  if (isUpToDate(dir)) {
    console.log(`prepare-fixtures: ${name}: up to date`);
  } else {
    install(dir, name);
  }
}
