// Svelte compiler options for the dashboard (read by @sveltejs/vite-plugin-svelte).
export default {
  compilerOptions: { runes: true },
};
