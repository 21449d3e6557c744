import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The host page of the browser test and the demo, served by the demo at /scheduled-reports-host/. */
export default defineConfig({
  root: here('.'),
  base: '/scheduled-reports-host/',
  plugins: [react()],
  // @edx/frontend-platform is built for webpack, which gives modules Node's `global`.
  define: { global: 'globalThis' },
  resolve: {
    alias: { '@openedx/frontend-base': here('../stand-in/frontend-base/index.tsx') },
  },
  build: { outDir: here('dist'), emptyOutDir: true, chunkSizeWarningLimit: 4000 },
});
