// Vite build of the dashboard into web/dist (served by the gateway at /); the dev server proxies
// the API to a running gateway (VISIONOPS_GATEWAY_URL, default http://127.0.0.1:8080).
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const gateway = process.env.VISIONOPS_GATEWAY_URL ?? 'http://127.0.0.1:8080';
const apiPaths = [
  '/predict',
  '/retrain',
  '/jobs',
  '/models',
  '/health',
  '/ready',
  '/metrics',
  '/openapi.json',
];

export default defineConfig({
  root: import.meta.dirname,
  plugins: [svelte()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
  server: {
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: gateway, changeOrigin: true }])),
  },
});
