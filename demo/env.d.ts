/** Build-time constants (vite.config.ts `define`) and asset imports the demo's bundle relies on. */

/** The registry's public key, pinned at build time as a real app would; null if built without one. */
declare const __BATON_DEMO_PUBLIC_KEY__: import('../src/types.js').PublicKeyJson | null;

declare module '*.css';
