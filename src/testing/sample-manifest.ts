/**
 * Moved to internal/sample-manifest.ts (Baton's own unit tests, not the kit). This forwarder keeps
 * the product tests that import it by this path compiling until they import internal/ directly.
 */
export * from './internal/sample-manifest.js';
