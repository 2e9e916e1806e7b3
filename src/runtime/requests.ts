/**
 * The request path: what `rt.run` does with each request. Refuse an oversized input before any
 * buffer moves; queue it (run-dispatcher.ts) for whichever slot serves when its turn comes;
 * feed the outcome to the trial (the model's own run time, not the end-to-end latency, which
 * queueing on a busy device inflates whichever version serves) and to the metrics (the
 * end-to-end latency the app saw); hand a sampled copy to the shadow; return onnxruntime tensors.
 */
import { Tensor } from 'onnxruntime-common';
import { BatonError } from '../errors.js';
import { outputsFinite } from '../health/monitor.js';
import type { Feeds, VersionId } from '../types.js';
import type { RunOutput } from './api.js';
import { checkInputSize } from './input-bound.js';
import type { Observability } from './observability.js';
import type { RunDispatcher } from './run-dispatcher.js';
import type { Serving } from './serving.js';
import type { ShadowRunner } from './shadow.js';
import type { Slot } from './slot.js';
import type { Trial } from './trial.js';

export interface RequestDeps {
  readonly dispatcher: Pick<RunDispatcher<Slot>, 'run'>;
  readonly serving: Pick<Serving, 'live' | 'lastLive'>;
  readonly trial: Pick<Trial, 'observe'>;
  readonly obs: Pick<Observability, 'sampleDrift' | 'drift' | 'request'>;
  readonly shadow: Pick<ShadowRunner, 'sample' | 'after'>;
  /** The A/B arm this device is in, when an A/B test decides what it serves. */
  arm(): { readonly name: string; readonly version: VersionId } | undefined;
  readonly rejectNonFinite: boolean;
  readonly perfNow: () => number;
  readonly disposed: () => boolean;
}

export function createRequestPath(deps: RequestDeps): (feeds: Feeds) => Promise<RunOutput> {
  return async (feeds) => {
    if (deps.disposed()) throw new BatonError('disposed', 'the runtime was disposed');
    // Refused here, before any buffer is transferred: no worker's heap grows for it.
    const current = deps.serving.live ?? deps.serving.lastLive;
    if (current) checkInputSize(feeds, current.inputLimits);
    const sampled = deps.shadow.sample(feeds);
    // Summarised before the run: the run transfers (detaches) the input buffers.
    const drift = deps.obs.sampleDrift();
    if (drift && current) deps.obs.drift(current.release, 'input', feeds);
    const started = deps.perfNow();
    // Queued behind earlier requests; whichever slot serves when its turn comes runs it (a worker
    // being replaced is waited for, bounded by its start-up and load timeouts).
    const served = await deps.dispatcher.run(feeds);
    const { slot } = served;
    const arm = deps.arm();
    const armName = arm && slot.version === arm.version ? arm.name : undefined;
    const latency = deps.perfNow() - started;
    if (!served.ok) {
      deps.trial.observe(slot.version, false, latency);
      deps.obs.request(slot.version, slot.load.ep, armName, false, latency);
      throw served.error;
    }
    const result = served.result;
    const ok = outputsFinite(result.outputs);
    deps.trial.observe(slot.version, ok, result.runMs);
    deps.obs.request(slot.version, result.ep, armName, ok, latency);
    if (!ok && deps.rejectNonFinite) throw new BatonError('run-failed', `version ${slot.version} returned NaN or Infinity`, { version: slot.version, nonFinite: true });
    if (drift && ok) deps.obs.drift(slot.release, 'output', result.outputs);
    if (sampled) deps.shadow.after(sampled, result.outputs);
    const outputs: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(result.outputs)) outputs[name] = new Tensor(t.type as never, t.data as never, t.dims as number[]);
    return { outputs, version: slot.version, ep: result.ep, ...(armName === undefined ? {} : { arm: armName }) };
  };
}
