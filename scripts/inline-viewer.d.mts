/** Rewrites the compiled devtools-script module under `outDir` with the viewer inlined. */
export function inlineViewer(outDir: URL, format: 'esm' | 'cjs'): void;
