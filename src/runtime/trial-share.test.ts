import { describe, expect, it } from 'vitest';
import { createTrialShare, type TrialChannel, type TrialMessage, type TrialShareDeps } from './trial-share.js';

/** An origin: a Web Lock that one holder has at a time (the others queue), and a broadcast channel. */
function origin() {
  const queue: { grant: () => void }[] = [];
  let held = false;
  const lock: NonNullable<TrialShareDeps['lock']> = async (_name, hold) => {
    if (held) await new Promise<void>((grant) => queue.push({ grant }));
    held = true;
    await hold();
    held = false;
    queue.shift()?.grant();
  };
  const listeners = new Set<(m: TrialMessage) => void>();
  const channel = (): TrialChannel => {
    let mine: ((m: TrialMessage) => void) | undefined;
    return {
      // A BroadcastChannel reaches every other context, not the sender.
      post: (m) => listeners.forEach((l) => l !== mine && l(structuredClone(m))),
      on: (l) => void listeners.add((mine = l)),
      close: () => void (mine && listeners.delete(mine)),
    };
  };
  return { lock, channel };
}

function tab(o: ReturnType<typeof origin>) {
  const seen: string[] = [];
  const share = createTrialShare({
    model: 'm',
    lock: o.lock,
    channel: o.channel(),
    onLead: () => seen.push('lead'),
    onOutcome: (v, ok) => seen.push(`outcome ${v} ${ok}`),
    onPaired: (v, c, b) => seen.push(`paired ${v} ${c}/${b}`),
    onPin: (v) => seen.push(`pin ${v}`),
    onDecided: (d) => seen.push(`decided ${d.kind} ${d.version} final=${d.final}`),
  });
  return { share, seen };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('one trial across tabs', () => {
  it('the first tab leads; another follows, sends it outcomes, pairs and pins, and hears its decisions', async () => {
    const o = origin();
    const a = tab(o);
    await tick();
    const b = tab(o);
    await tick();
    expect([a.share.leading, b.share.leading]).toEqual([true, false]);
    expect(a.seen).toEqual(['lead']);
    b.share.post({ type: 'outcome', version: '2', ok: false, runMs: 1 });
    b.share.post({ type: 'paired', version: '2', candidateMs: 9, baselineMs: 3 });
    b.share.post({ type: 'pin', version: '1' });
    a.share.post({ type: 'decided', kind: 'rolled-back', version: '2', final: true });
    expect(a.seen).toEqual(['lead', 'outcome 2 false', 'paired 2 9/3', 'pin 1']);
    expect(b.seen).toEqual(['decided rolled-back 2 final=true']);
  });

  it('outcomes reach the leading tab only; other followers ignore them', async () => {
    const o = origin();
    const a = tab(o);
    await tick();
    const b = tab(o);
    const c = tab(o);
    await tick();
    b.share.post({ type: 'outcome', version: '2', ok: true, runMs: 1 });
    expect(a.seen).toEqual(['lead', 'outcome 2 true']);
    expect(c.seen).toEqual([]);
  });

  it('when the leading tab goes, a waiting one takes over', async () => {
    const o = origin();
    const a = tab(o);
    await tick();
    const b = tab(o);
    await tick();
    a.share.dispose();
    await tick();
    expect(b.share.leading).toBe(true);
    expect(b.seen).toEqual(['lead']);
  });

  it('without Web Locks every tab leads (each judges its own requests, as before)', () => {
    const o = origin();
    const share = createTrialShare({
      model: 'm',
      lock: undefined,
      channel: o.channel(),
      onLead: () => {},
      onOutcome: () => {},
      onPaired: () => {},
      onPin: () => {},
      onDecided: () => {},
    });
    expect(share.leading).toBe(true);
  });
});
