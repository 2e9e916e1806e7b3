/**
 * An in-memory registry and a `fetch` that serves it, for unit tests of the download and update
 * logic without a server: releases are chunked, hashed and signed by the real code.
 */
import { generateKeyPair } from '../../crypto/ed25519.js';
import { signManifest } from '../../manifest/sign.js';
import { FORMAT_VERSION } from '../../manifest/schema.js';
import { chunkBytes } from '../../publish/chunk.js';
import { DEFAULT_HEALTH } from '../../publish/policy-edit.js';
import { sampleRelease } from './sample-manifest.js';
import type { Manifest, PrivateKeyJson, PublicKeyJson, Release, RolloutPolicy } from '../../types.js';

export const BASE = 'https://registry.test/models/mlp';

export interface MemoryRegistry {
  readonly publicKey: PublicKeyJson;
  readonly privateKey: PrivateKeyJson;
  /** Path → body. Tests edit it to tamper. */
  readonly files: Map<string, Uint8Array<ArrayBuffer>>;
  /** Every request the fake fetch received, in order (path only). */
  readonly requests: string[];
  /** Overrides the response for a path (once per call to the override). */
  readonly overrides: Map<string, (init?: RequestInit) => Response | Promise<Response>>;
  fetch: typeof fetch;
  /** Adds a release of `bytes` (chunked at `chunkSize`) and returns it (unpublished). */
  release(version: string, bytes: Uint8Array<ArrayBuffer>, chunkSize?: number, extra?: Partial<Release>): Promise<Release>;
  /** Signs (with this registry's key, or `keys`) and serves a manifest with these releases and policy. */
  publish(
    releases: Release[],
    policy: Partial<RolloutPolicy> & { stable: string },
    extra?: Partial<Manifest>,
    keys?: readonly PrivateKeyJson[],
  ): Promise<Manifest>;
  chunkRequests(): string[];
}

export async function createMemoryRegistry(): Promise<MemoryRegistry> {
  const { publicKey, privateKey } = await generateKeyPair();
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  const requests: string[] = [];
  const overrides = new Map<string, (init?: RequestInit) => Response | Promise<Response>>();
  let sequence = 0;
  const registry: MemoryRegistry = {
    publicKey,
    privateKey,
    files,
    requests,
    overrides,
    fetch: async (input, init) => {
      const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
      const path = url.pathname;
      requests.push(path);
      const override = overrides.get(path);
      if (override) return override(init);
      const body = files.get(path);
      if (!body) return new Response('not found', { status: 404 });
      const etag = `"${path}:${body.length}:${body[body.length - 1]}:${sequence}"`;
      if (new Headers(init?.headers).get('If-None-Match') === etag) return new Response(null, { status: 304 });
      return new Response(body.slice(), { headers: { 'Content-Length': String(body.length), ETag: etag } });
    },
    async release(version, bytes, chunkSize = 64, extra = {}) {
      const file = await chunkBytes(bytes, chunkSize);
      for (const c of file.chunks) files.set(`${new URL(BASE).pathname}/chunks/${c.sha256}`, c.bytes.slice());
      // The sample release's interface and compatibility, with this file's real chunks.
      return sampleRelease(version, {
        size: file.size,
        sha256: file.sha256,
        chunkSize,
        chunks: file.chunks.map(({ sha256, size }) => ({ sha256, size })),
        ...extra,
      });
    },
    async publish(releases, policy, extra = {}, keys = [privateKey]) {
      sequence++;
      const manifest: Manifest = {
        formatVersion: FORMAT_VERSION,
        name: 'mlp',
        sequence,
        issuedAt: '2026-01-01T00:00:00.000Z',
        expires: '2027-01-01T00:00:00.000Z',
        versions: releases,
        policy: { killed: [], health: DEFAULT_HEALTH, ...policy },
        ...extra,
      };
      files.set(`${new URL(BASE).pathname}/manifest.json`, new Uint8Array(await signManifest(manifest, keys)));
      return manifest;
    },
    chunkRequests: () => requests.filter((p) => p.includes('/chunks/')),
  };
  return registry;
}

/** Deterministic pseudo-random bytes (a model file stand-in). */
export function testBytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}
