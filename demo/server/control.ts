/**
 * The scenario's steps as the publisher would run them: each one is the real `baton` CLI
 * against the demo's registry, recorded as a transcript the dev panel shows. Served at
 * `/demo/api/*` on the registry's own server (same origin as the app, so no CORS), through the
 * test server's `extraRoutes` hook.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { basename } from 'node:path';
import { runCli } from '../../src/cli/run.js';
import type { ReleaseProfile } from '../../src/types.js';
import {
  API_PREFIX,
  MIN_REQUESTS,
  PROMOTE_AFTER,
  ROLLOUT_PERCENT,
  type CommandRecord,
  type DemoState,
  type DemoStep,
  type DevicePlacement,
  type StepRequest,
  type StepResponse,
} from '../api.js';
import type { DemoModels } from './models.js';
import { placement, saltPlacingInside } from './placement.js';
import { attachProfile } from './profile.js';

export interface DemoControlOptions {
  readonly registryDir: string;
  readonly privateKeyPath: string;
  readonly models: DemoModels;
  readonly profile: ReleaseProfile;
  /** The page plays the scenario by itself on load (`--scenario`). */
  readonly autoplay: boolean;
  /** Reported in the state: the delay the server puts on each chunk. */
  readonly chunkDelayMs?: number;
  /** What the telemetry collector received so far, if the server has one. */
  readonly telemetry?: () => readonly { readonly signal: 'logs' | 'metrics' }[];
  /** Each CLI command as it runs (the terminal transcript of `npm run demo`). */
  readonly log?: (line: string) => void;
}

export interface DemoControl {
  state(): DemoState;
  /** A new round: a fresh model name with v1 (Silero VAD v5) as its stable version. */
  reset(): Promise<DemoState>;
  /** v2 (Silero VAD v6) as a candidate at 50 %, salted so `deviceId` is inside. */
  publishV2(deviceId: string | undefined): Promise<DemoState>;
  /** Promotes v2 to stable for everyone, then publishes the broken v3 at 50 % (this device inside). */
  publishV3(deviceId: string | undefined): Promise<DemoState>;
  /** The `extraRoutes` hook for the test server. */
  route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

const LABELS: Record<DemoStep, string> = { v1: 'Silero VAD v5', v2: 'Silero VAD v6 (compatible update)', v3: 'broken export: NaN output' };
const VERSIONS: Record<DemoStep, string> = { v1: '1.0.0', v2: '2.0.0', v3: '3.0.0' };
const MAX_COMMANDS = 40;

export function createDemoControl(opts: DemoControlOptions): DemoControl {
  let round = 0;
  let model = '';
  let step: DemoStep = 'v1';
  let sequence = 0;
  let stable = '';
  let candidate: DemoState['candidate'];
  let published: { version: string; label: string }[] = [];
  let devicePlacement: DevicePlacement | undefined;
  const commands: CommandRecord[] = [];
  // One step at a time: two clicks must not publish concurrently.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => {});
    return next;
  };

  /** Runs `baton <args>` with the registry and key filled in; throws with the CLI's stderr. */
  async function baton(...args: string[]): Promise<string> {
    let out = '';
    let err = '';
    // stderr carries the publish progress lines; stdout the --json result.
    const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
    const shown = `baton ${args.map((a) => (a.endsWith('.onnx') ? basename(a) : a)).join(' ')}`;
    const code = await runCli([...args, '--registry', opts.registryDir, '--key', opts.privateKeyPath, '--json'], io);
    const json = parseJson(out);
    const output = json ? summarise(json) : `${out}${code === 0 ? '' : err}`.trim();
    commands.push({ at: Date.now(), command: shown, code, output });
    commands.splice(0, Math.max(0, commands.length - MAX_COMMANDS));
    opts.log?.(`  $ ${shown}\n    ${output}`);
    if (code !== 0) throw new Error(`${shown} failed (${code}): ${err.trim() || out.trim()}`);
    if (json && typeof json['sequence'] === 'number') sequence = json['sequence'];
    return out;
  }

  async function publish(which: DemoStep, extra: string[] = []): Promise<void> {
    const version = VERSIONS[which];
    await baton('publish', opts.models[which], '--name', model, '--version', version, '--chunk-size', '256k', ...extra);
    // The reference profile for drift detection, on a re-signed manifest (see profile.ts).
    sequence = (await attachProfile(opts.registryDir, model, version, opts.privateKeyPath, opts.profile)).sequence;
    published.push({ version, label: LABELS[which] });
  }

  async function candidateAt(which: 'v2' | 'v3', deviceId: string | undefined): Promise<void> {
    const version = VERSIONS[which];
    // Without a device id (e.g. a step run from a terminal), any salt: the device may be outside.
    const salt = deviceId ? await saltPlacingInside(deviceId, model, version, ROLLOUT_PERCENT) : `${model}:${version}:0`;
    await publish(which, ['--rollout', String(ROLLOUT_PERCENT), '--salt', salt]);
    candidate = { version, percent: ROLLOUT_PERCENT, salt };
    devicePlacement = deviceId ? await placement(deviceId, version, ROLLOUT_PERCENT, salt) : undefined;
    step = which;
  }

  const control: DemoControl = {
    state() {
      const received = opts.telemetry?.();
      return {
        round,
        model,
        manifestUrl: `./registry/${model}/manifest.json`,
        step,
        sequence,
        stable,
        ...(candidate ? { candidate } : {}),
        published: [...published],
        ...(devicePlacement ? { placement: devicePlacement } : {}),
        commands: [...commands],
        autoplay: opts.autoplay,
        chunkDelayMs: opts.chunkDelayMs ?? 0,
        ...(received
          ? {
              telemetryEndpoint: './collector',
              telemetryReceived: {
                batches: received.length,
                logs: received.filter((p) => p.signal === 'logs').length,
                metrics: received.filter((p) => p.signal === 'metrics').length,
              },
            }
          : {}),
      };
    },
    reset: () =>
      serial(async () => {
        round++;
        // A fresh name per round: a browser that saw an earlier round (or an earlier run of the
        // demo on this port) has its accepted sequence numbers, promotions and quarantines
        // under the old name, and starts this one as a new install of a new model.
        model = `vad-${Date.now().toString(36)}`;
        published = [];
        candidate = undefined;
        devicePlacement = undefined;
        opts.log?.(`round ${round}: model ${model}`);
        await publish('v1');
        // Demo-sized health gates: promote after 250 healthy requests (~8 s). The latency gate is
        // the default one: it times both versions under the same load, so a busy machine is no reason.
        await baton('health', '--name', model, '--promote-after', String(PROMOTE_AFTER), '--min-requests', String(MIN_REQUESTS));
        stable = VERSIONS.v1;
        step = 'v1';
        return control.state();
      }),
    publishV2: (deviceId) =>
      serial(async () => {
        if (step !== 'v1') throw new Error(`v2 is already published in this round (step ${step}); reset first`);
        await candidateAt('v2', deviceId);
        return control.state();
      }),
    publishV3: (deviceId) =>
      serial(async () => {
        if (step === 'v1') throw new Error('publish v2 first: v3 is rolled out against it');
        if (step === 'v3') throw new Error('v3 is already published in this round; reset first');
        // v2 did well: make it the stable version for every device, then try v3 on half of them.
        await baton('promote', '--name', model);
        stable = VERSIONS.v2;
        candidate = undefined;
        await candidateAt('v3', deviceId);
        return control.state();
      }),
    async route(req, res, url) {
      if (!url.pathname.startsWith(API_PREFIX)) return false;
      const action = url.pathname.slice(API_PREFIX.length);
      if (action === 'state' && req.method === 'GET') {
        send(res, 200, control.state());
        return true;
      }
      const steps: Record<string, (deviceId: string | undefined) => Promise<DemoState>> = {
        'publish-v2': (id) => control.publishV2(id),
        'publish-v3': (id) => control.publishV3(id),
        reset: () => control.reset(),
      };
      const run = steps[action];
      if (!run) {
        send(res, 404, { error: `no demo action ${action}` });
        return true;
      }
      if (req.method !== 'POST') {
        send(res, 405, { error: 'POST only' });
        return true;
      }
      try {
        const body = (await readBody(req)) as StepRequest;
        const deviceId = typeof body?.deviceId === 'string' && body.deviceId !== '' ? body.deviceId : undefined;
        send(res, 200, { ok: true, state: await run(deviceId) } satisfies StepResponse);
      } catch (e) {
        send(res, 409, { ok: false, error: (e as Error).message, state: control.state() } satisfies StepResponse);
      }
      return true;
    },
  };
  return control;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text.trim()) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One line from the CLI's `--json` output, as its human output would read. */
function summarise(json: Record<string, unknown>): string {
  const policy = json['policy'] as { stable?: string; candidate?: { version: string; percent: number } } | undefined;
  const rollout = policy?.candidate ? `, candidate ${policy.candidate.version} at ${policy.candidate.percent} %` : '';
  if (typeof json['version'] === 'string') {
    return `published ${String(json['version'])}: ${String(json['chunks'])} chunks (${String(json['chunksWritten'])} written, ${String(json['chunksReused'])} reused); stable ${policy?.stable}${rollout}; sequence ${String(json['sequence'])}`;
  }
  return `stable ${policy?.stable}${rollout}; sequence ${String(json['sequence'])}`;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > 16 * 1024) throw new Error('request body over 16 KiB');
    parts.push(part);
  }
  const text = Buffer.concat(parts).toString('utf8');
  return text === '' ? {} : (JSON.parse(text) as unknown);
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
