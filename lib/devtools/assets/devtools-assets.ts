import { DEVTOOLS_PAGE_HTML } from './devtools-page.js';
import { DEVTOOLS_SCRIPT } from './devtools-script.js';
import { DEVTOOLS_CSS } from './devtools-style.js';

export interface DevtoolsAsset {
  readonly type: string;
  readonly body: string;
}

/** A waterfall in three bars: the viewer's icon, drawn here so the page needs no network. */
const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="7" fill="#1d2a4a"/>' +
  '<rect x="6" y="8" width="16" height="4" rx="2" fill="#7396ff"/>' +
  '<rect x="10" y="14" width="14" height="4" rx="2" fill="#47cd89"/>' +
  '<rect x="14" y="20" width="12" height="4" rx="2" fill="#fdb022"/></svg>';

/** The static files under the viewer's path. */
export const DEVTOOLS_ASSETS: Readonly<Record<string, DevtoolsAsset>> = Object.freeze({
  '/app.js': { type: 'text/javascript; charset=utf-8', body: DEVTOOLS_SCRIPT },
  '/app.css': { type: 'text/css; charset=utf-8', body: DEVTOOLS_CSS },
  '/favicon.svg': { type: 'image/svg+xml', body: ICON_SVG },
});

/** The page for a viewer served at `base` (already validated as URL- and HTML-safe). */
export function renderPage(base: string): string {
  return DEVTOOLS_PAGE_HTML.replaceAll('__BASE__', base);
}
