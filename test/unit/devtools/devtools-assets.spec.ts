import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DEVTOOLS_ASSETS, renderPage } from '../../../lib/devtools/assets/devtools-assets.js';
import { DEVTOOLS_SCRIPT } from '../../../lib/devtools/assets/devtools-script.js';

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
