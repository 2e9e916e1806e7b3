/**
 * Which Chromium the tests launch and with which flags. Order: $BATON_CHROMIUM (or
 * $CHROMIUM_PATH), then Debian's /usr/bin/chromium, then Playwright's own download, so the same
 * config runs on CI, on this kind of machine and on a developer laptop.
 */
import { existsSync } from 'node:fs';

/** Debian's package installs here; Playwright cannot download a browser on CI machines. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The Chromium executable to launch, or undefined to let Playwright use its own. */
export function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env['BATON_CHROMIUM'] ?? env['CHROMIUM_PATH'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`BATON_CHROMIUM/CHROMIUM_PATH points to ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  return existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined;
}

/**
 * Flags for a closed network and a root user: no sandbox (it cannot start as root), no
 * background traffic that the machine would refuse, no QUIC.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** Playwright `launchOptions` for Baton's tests; `webgpu` adds SwiftShader WebGPU. */
export function chromiumLaunchOptions(opts: { webgpu?: boolean } = {}): { executablePath?: string; args: string[] } {
  const executablePath = chromiumExecutable();
  const args = [...CHROMIUM_ARGS, ...(opts.webgpu ? ['--enable-unsafe-webgpu'] : [])];
  return executablePath === undefined ? { args } : { executablePath, args };
}
