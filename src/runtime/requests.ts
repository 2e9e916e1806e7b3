/**
 * The request path: what `rt.run` does with each request. Refuse an oversized input before any
 * buffer moves; queue it (run-dispatcher.ts) for whichever slot serves when its turn comes; feed
 * the outcome to the trial (the model's own run time, not the end-to-end latency, which queueing
 * on a busy device inflates whichever version serves) and to the metrics (the end-to-end latency
 * the app saw); hand a sampled copy to the shadow; return onnxruntime tensors.
 *
 * During a trial the version it replaced is still loaded, and a request the candidate fails is
 * answered by it instead (a copy of the input is kept for that: the run transfers the original);
 * a share of the trial's requests also run on it afterwards, timing both versions under the same
 * load for the latency gate. Both are decided when the request starts on a slot, not when it is
 * queued: a request queued before a switch runs on the candidate, and one the candidate was
 * running when its verdict came is still answered by the version that took over (#15).
 */
import { Tensor } from 'onnxruntime-common';
import { BatonError } from '../errors.js';
import { copyFeeds } from '../health/compare.js';
import { outputsFinite } from '../health/monitor.js';
import type { Feeds, VersionId } from '../types.js';
import type { RunResult } from '../worker/protocol.js';
import type { RunOutput } from './api.js';
import { checkInputSize } from './input-bound.js';
import type { Observability } from './observability.js';
import type { RunDispatcher } from './run-dispatcher.js';
import type { Serving } from './serving.js';
import type { ShadowRunner } from './shadow.js';
import type { Slot } from './slot.js';
import type { Trial } from './trial.js';

export const DEFAULT_FALLBACK_MAX_EXTRA_MS = 1000;
export const DEFAULT_PAIRED_TIMING = 0.1;

export interface RequestDeps {
  readonly dispatcher: Pick<RunDispatcher<Slot>, 'run'>;
  readonly serving: Pick<Serving, 'live' | 'lastLive' | 'fallback'>;
  readonly trial: Pick<Trial, 'observe' | 'isOnTrial' | 'paired'>;
  readonly obs: Pick<Observability, 'sampleDrift' | 'drift' | 'request'>;
  readonly shadow: Pick<ShadowRunner, 'sample' | 'after'>;
  /** The A/B arm this device is in, when an A/B test decides what it serves. */
  arm(): { readonly name: string; readonly version: VersionId } | undefined;
  readonly rejectNonFinite: boolean;
  readonly validate?: (outputs: Readonly<Record<string, Tensor>>) => boolean | void;
  /** Undefined: no fallback. */
  readonly fallbackMaxExtraMs: number | undefined;
  readonly pairedTiming: number;
  readonly random?: () => number;
  readonly perfNow: () => number;
  readonly disposed: () => boolean;
}

const toTensors = (result: RunResult): Record<string, Tensor> => {
  const outputs: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(result.outputs)) outputs[name] = new Tensor(t.type as never, t.data as never, t.dims as number[]);
  return outputs;
};

export function createRequestPath(deps: RequestDeps): (feeds: Feeds) => Promise<RunOutput> {
  const random = deps.random ?? Math.random;

  /** The kept version, when `version` is on trial against it and it can answer. */
  const baselineFor = (version: VersionId): Slot | undefined => {
    const kept = deps.serving.fallback;
    return kept?.worker.alive && kept.version !== version && deps.trial.isOnTrial(version) ? kept : undefined;
  };

  /** What the candidate's answer is worth: an error when it must not reach the caller. */
  const refusal = (slot: Slot, ok: boolean, outputs: Record<string, Tensor>): BatonError | undefined => {
    if (!ok && deps.rejectNonFinite)
      return new BatonError('run-failed', `version ${slot.version} returned NaN or Infinity`, { version: slot.version, nonFinite: true });
    if (!deps.validate) return undefined;
    let valid: boolean | void;
    try {
      valid = deps.validate(outputs);
    } catch (e) {
      return new BatonError(
        'run-failed',
        `the app's validate() threw on the outputs of version ${slot.version}: ${(e as Error)?.message ?? String(e)}`,
        { version: slot.version, invalid: true },
        { cause: e },
      );
    }
    return valid === false
      ? new BatonError('run-failed', `the app's validate() refused the outputs of version ${slot.version}`, { version: slot.version, invalid: true })
      : undefined;
  };

  /** The kept version answers instead, within the extra time allowed; otherwise the candidate's error stands. */
  async function fallBack(baseline: Slot, spare: Feeds, from: VersionId, error: BatonError): Promise<RunOutput> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), deps.fallbackMaxExtraMs)));
    try {
      const result = await Promise.race([baseline.run(spare).catch(() => undefined), late]);
      if (!result || !outputsFinite(result.outputs)) throw error;
      const outputs = toTensors(result);
      if (refusal(baseline, true, outputs)) throw error;
      deps.obs.request(baseline.version, result.ep, undefined, true, 0);
      return { outputs, version: baseline.version, ep: result.ep, fallback: { from, error } };
    } finally {
      clearTimeout(timer);
    }
  }

  return async (feeds) => {
    if (deps.disposed()) throw new BatonError('disposed', 'the runtime was disposed');
    // Refused here, before any buffer is transferred: no worker's heap grows for it.
    const current = deps.serving.live ?? deps.serving.lastLive;
    if (current) checkInputSize(feeds, current.inputLimits);
    const sampled = deps.shadow.sample(feeds);
    // Summarised before the run transfers (detaches) the input buffers (and copied for a fallback
    // as it starts, below).
    const drift = deps.obs.sampleDrift();
    if (drift && current) deps.obs.drift(current.release, 'input', feeds);
    const keepsSpare = deps.fallbackMaxExtraMs !== undefined || deps.pairedTiming > 0;
    let kept: { readonly slot: Slot; readonly spare: Feeds } | undefined;
    const started = deps.perfNow();
    // Queued behind earlier requests; whichever slot serves when its turn comes runs it (a worker
    // being replaced is waited for, bounded by its start-up and load timeouts). Whether that slot
    // is on trial, and against which kept version, is known only then.
    const served = await deps.dispatcher.run(feeds, (slot) => {
      const baseline = keepsSpare ? baselineFor(slot.version) : undefined;
      kept = baseline && { slot: baseline, spare: copyFeeds(feeds) };
    });
    const { slot } = served;
    const arm = deps.arm();
    const armName = arm && slot.version === arm.version ? arm.name : undefined;
    const latency = deps.perfNow() - started;
    // The version kept when the candidate started this request: it answers a failure even if the
    // trial ended meanwhile (a rollback makes it the live version; the request is still the trial's).
    const baseline = kept?.slot.worker.alive ? kept : undefined;
    let error: BatonError | undefined;
    let outputs: Record<string, Tensor> | undefined;
    if (served.ok) {
      const finite = outputsFinite(served.result.outputs);
      outputs = toTensors(served.result);
      error = refusal(slot, finite, outputs);
      const ok = finite && !error;
      deps.trial.observe(slot.version, ok, served.result.runMs);
      deps.obs.request(slot.version, served.result.ep, armName, ok, latency);
      if (ok && drift) deps.obs.drift(slot.release, 'output', served.result.outputs);
      if (ok && sampled) deps.shadow.after(sampled, served.result.outputs);
      if (ok && baseline && deps.trial.isOnTrial(slot.version) && random() < deps.pairedTiming) {
        const candidateMs = served.result.runMs;
        // After the caller has its answer, like a shadow run; the same input, under the same load.
        setTimeout(
          () =>
            void baseline.slot.run(baseline.spare).then(
              (r) => deps.trial.paired(slot.version, candidateMs, r.runMs),
              () => {},
            ),
          0,
        );
      }
    } else {
      error = BatonError.from(served.error, 'run-failed');
      deps.trial.observe(slot.version, false, latency);
      deps.obs.request(slot.version, slot.load.ep, armName, false, latency);
    }
    if (!error)
      return { outputs: outputs!, version: slot.version, ep: served.ok ? served.result.ep : slot.load.ep, ...(armName === undefined ? {} : { arm: armName }) };
    if (baseline && deps.fallbackMaxExtraMs !== undefined) return fallBack(baseline.slot, baseline.spare, slot.version, error);
    throw error;
  };
}
