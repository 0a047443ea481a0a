import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * `npm run build` writes the app to dist/public (served by server/main.ts); `npm run dev` serves it with hot
 * reload on :5173. Both send /graphql to the router: the app and its API share one origin, so no CORS.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist/public', emptyOutDir: true, reportCompressedSize: false },
  server: {
    port: 5173,
    proxy: { '/graphql': process.env.ROUTER_URL?.replace(/\/graphql$/, '') ?? 'http://127.0.0.1:4000' },
  },
});
