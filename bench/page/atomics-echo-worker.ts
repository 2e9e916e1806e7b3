/**
 * The SharedArrayBuffer floor: a worker that copies a request out of shared memory and the same
 * bytes back, woken by `Atomics.notify`. `blocking` parks the thread in `Atomics.wait` (the
 * fastest wake-up there is, but a worker parked so cannot take a message);
 * `async` waits with `Atomics.waitAsync`, as a worker that must also take messages does (Baton's:
 * the same `whenChanged` as src/worker/run-server.ts).
 * Layout: Int32 [0] request sequence, [1] reply sequence, [2] byte length; data from byte 16.
 */
import { whenChanged } from '../../src/worker/shared-ring.js';

export interface AtomicsEchoInit {
  readonly sab: SharedArrayBuffer;
  readonly mode: 'blocking' | 'async';
}

onmessage = (e: MessageEvent<AtomicsEchoInit>) => {
  const { sab, mode } = e.data;
  const ctrl = new Int32Array(sab, 0, 4);
  const bytes = new Uint8Array(sab, 16);
  let seen = 0;
  const echo = () => {
    seen = Atomics.load(ctrl, 0);
    const length = Atomics.load(ctrl, 2);
    // A copy out and back in: what a real handler pays to own its input and hand back its output.
    const copy = bytes.slice(0, length);
    bytes.set(copy);
    Atomics.store(ctrl, 1, seen);
    Atomics.notify(ctrl, 1);
  };
  if (mode === 'blocking') {
    for (;;) {
      Atomics.wait(ctrl, 0, seen);
      echo();
    }
  }
  const loop = (): void =>
    whenChanged(ctrl, 0, seen, () => {
      echo();
      loop();
    });
  loop();
};
