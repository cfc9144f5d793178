/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The Rust binary embeds dist/ and serves index.html for every non-API path,
// so assets are referenced by absolute paths under /assets/.
export default defineConfig({
  base: '/',
  plugins: [svelte({ emitCss: true })],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    // Never inline assets as data: URLs or scripts into index.html (strict CSP).
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    target: 'es2022',
    sourcemap: false,
    // The pad editor (TipTap, ProseMirror, Yjs) is one lazily loaded chunk of about 650 kB.
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev` talks to a local `maille serve` on its default port.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
