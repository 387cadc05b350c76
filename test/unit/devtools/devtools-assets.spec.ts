import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEVTOOLS_ASSETS, renderPage } from '../../../lib/devtools/assets/devtools-assets.js';
import { DEVTOOLS_SCRIPT } from '../../../lib/devtools/assets/devtools-script.js';
import { inlineViewer } from '../../../scripts/inline-viewer.mjs';

describe('devtools assets', () => {
  it('ship a page script that parses as JavaScript', () => {
    expect(() => new Script(DEVTOOLS_SCRIPT, { filename: 'app.js' })).not.toThrow();
  });

  it('never build markup from strings in the page script, so recorded values stay text', () => {
    for (const sink of [
      'innerHTML',
      'outerHTML',
      'insertAdjacentHTML',
      'document.write',
      'eval(',
    ]) {
      expect(DEVTOOLS_SCRIPT).not.toContain(sink);
    }
    // Properties the script sets by name: never an event handler or markup.
    expect(DEVTOOLS_SCRIPT).not.toMatch(/\bon[a-z]+:/);
  });

  it('put the viewer path into the page', () => {
    const page = renderPage('/debug/traces');
    expect(page).not.toContain('__BASE__');
    expect(page).toContain('<meta name="devtools-base" content="/debug/traces">');
    expect(page).toContain('<script src="/debug/traces/app.js" defer></script>');
  });

  it('serve the script, style sheet and icon with their content types', () => {
    expect(Object.keys(DEVTOOLS_ASSETS).toSorted()).toEqual([
      '/app.css',
      '/app.js',
      '/favicon.svg',
    ]);
    expect(DEVTOOLS_ASSETS['/app.js']!.type).toBe('text/javascript; charset=utf-8');
  });
});

describe('the viewer script in the package', () => {
  it('is browser/viewer.js inlined byte for byte, in the ESM and the CommonJS build', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inline-viewer-'));
    try {
      const assets = join(dir, 'devtools/assets');
      mkdirSync(assets, { recursive: true });
      const compiled = join(assets, 'devtools-script.js');
      for (const format of ['esm', 'cjs'] as const) {
        writeFileSync(compiled, "readFileSync(new URL('./browser/viewer.js', import.meta.url))");
        writeFileSync(`${compiled}.map`, '{}');
        inlineViewer(pathToFileURL(`${dir}/`), format);
        const text = readFileSync(compiled, 'utf8');
        const exports: { DEVTOOLS_SCRIPT?: string } = {};
        if (format === 'cjs') new Function('exports', text)(exports);
        else Object.assign(exports, await import(`${pathToFileURL(compiled).href}?${format}`));
        expect(exports.DEVTOOLS_SCRIPT).toBe(DEVTOOLS_SCRIPT);
        expect(existsSync(`${compiled}.map`)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is not inlined into a module that no longer reads it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'inline-viewer-'));
    try {
      mkdirSync(join(dir, 'devtools/assets'), { recursive: true });
      writeFileSync(join(dir, 'devtools/assets/devtools-script.js'), 'export const X = 1;');
      expect(() => inlineViewer(pathToFileURL(`${dir}/`), 'esm')).toThrow(/browser\/viewer\.js/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
