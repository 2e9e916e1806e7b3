/**
 * One trial across the tabs of an origin. They share the device's rollout record, so if each
 * judged the trial on its own share of the requests, the last one to write would win and a
 * rollback in one tab would leave the candidate serving in the others. Instead one tab — the one
 * holding the Web Lock `baton-trial:<model>` — leads: it judges the trial on every tab's requests
 * and keeps the record. The others send it their outcomes over a BroadcastChannel and follow its
 * decisions, so a rollback decided there flips every tab at once. When the leading tab closes,
 * its lock passes to a waiting tab, which takes over from the record it left. Without Web Locks
 * every tab leads, as before.
 */
import type { VersionId } from '../types.js';

export type TrialMessage =
  | { readonly type: 'outcome'; readonly version: VersionId; readonly ok: boolean; readonly runMs: number }
  | { readonly type: 'paired'; readonly version: VersionId; readonly candidateMs: number; readonly baselineMs: number }
  | { readonly type: 'pin'; readonly version: VersionId | undefined }
  | {
      readonly type: 'decided';
      readonly kind: 'rolled-back' | 'promoted';
      readonly version: VersionId;
      readonly reason?: string;
      readonly final?: boolean;
      readonly retryAt?: number;
    };

export interface TrialChannel {
  post(message: TrialMessage): void;
  on(listener: (message: TrialMessage) => void): void;
  close(): void;
}

export interface TrialShareDeps {
  readonly model: string;
  /** Runs `hold` once this context holds the lock (until `hold` settles); undefined: no Web Locks. */
  readonly lock: ((name: string, hold: () => Promise<void>) => Promise<unknown>) | undefined;
  readonly channel: TrialChannel;
  /** This tab now leads (at start, or after the leading tab closed): take the record over. */
  onLead(): void;
  /** Leading: another tab's request, or paired run, or pin. */
  onOutcome(version: VersionId, ok: boolean, runMs: number): void;
  onPaired(version: VersionId, candidateMs: number, baselineMs: number): void;
  onPin(version: VersionId | undefined): void;
  /** Following: what the leading tab decided. */
  onDecided(decision: Extract<TrialMessage, { type: 'decided' }>): void;
}

export interface TrialShare {
  /** Whether this tab judges the trial and keeps the record. */
  readonly leading: boolean;
  /** Sends a message to the other tabs (a follower's outcome, pin; a leader's decision). */
  post(message: TrialMessage): void;
  dispose(): void;
}

export function createTrialShare(deps: TrialShareDeps): TrialShare {
  let leading = deps.lock === undefined;
  let release: (() => void) | undefined;
  let disposed = false;
  deps.channel.on((m) => {
    if (disposed) return;
    if (leading) {
      if (m.type === 'outcome') deps.onOutcome(m.version, m.ok, m.runMs);
      else if (m.type === 'paired') deps.onPaired(m.version, m.candidateMs, m.baselineMs);
      else if (m.type === 'pin') deps.onPin(m.version);
    } else if (m.type === 'decided') deps.onDecided(m);
  });
  void deps.lock?.(`baton-trial:${deps.model}`, () => {
    if (disposed) return Promise.resolve();
    leading = true;
    deps.onLead();
    return new Promise<void>((resolve) => (release = resolve));
  });
  return {
    get leading() {
      return leading;
    },
    post: (message) => deps.channel.post(message),
    dispose() {
      disposed = true;
      leading = false;
      release?.();
      deps.channel.close();
    },
  };
}

/** The page's BroadcastChannel for one model's trial (one per runtime). */
export function trialChannel(model: string): TrialChannel {
  const channel = new BroadcastChannel(`baton-trial:${model}`);
  return {
    post: (message) => channel.postMessage(message),
    on: (listener) => void (channel.onmessage = (e: MessageEvent<TrialMessage>) => listener(e.data)),
    close: () => channel.close(),
  };
}

/** Web Locks where the context has them (every current browser; not Node). */
export function webLocks(): TrialShareDeps['lock'] {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return locks ? (name, hold) => locks.request(name, hold) : undefined;
}
