import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Served by the API at `/` with the API at `/api` (same origin); in dev, Vite proxies /api.
export default defineConfig({
  plugins: [react()],
  base: '/',
  server: {
    port: 5173,
    proxy: Object.fromEntries(['/api', '/metrics', '/healthz'].map((p) => [p, { target: process.env.API_URL ?? 'http://127.0.0.1:8080', changeOrigin: true }])),
  },
  build: {
    outDir: 'dist',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          if (id.includes('node_modules/react') || id.includes('node_modules/scheduler')) return 'react';
          return undefined;
        },
      },
    },
  },
  test: { environment: 'node', include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'] },
});
