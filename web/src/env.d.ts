// Types the TypeScript checker needs for Svelte components and runes in *.svelte.ts modules.
// An ambient file (no imports), so its wildcard module declaration applies everywhere.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- an import would make this a module
/// <reference types="svelte" />
/// <reference types="vite/client" />
declare module '*.svelte' {
  import type { Component } from 'svelte';
  const component: Component;
  export default component;
}
