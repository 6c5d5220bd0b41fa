import { defineConfig } from 'vite';

// The build goes where internal/portal embeds it (see the README's "The
// portal" section): hashed names under assets/, no inline script, so that
// the server's strict CSP holds.
export default defineConfig({
  base: '/portal/',
  build: {
    outDir: '../internal/portal/dist/site',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
