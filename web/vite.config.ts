import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// npm scripts run from the repo root, so the root is pinned to this folder.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  // The contract the server shares: field rules and schemas, one source for both sides.
  resolve: { alias: { '@contract': fileURLToPath(new URL('../src/contract/index.ts', import.meta.url)) } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // React + Mantine make one large vendor chunk; it is cached and served compressed.
    chunkSizeWarningLimit: 1000,
  },
  server: {
    // The Origin header is passed through untouched, so the server's CSRF check holds in
    // development too: run the server with its public URL set to this dev server's origin.
    proxy: { '/api': 'http://localhost:3000' },
  },
});
