/** Does a shadow run agree with the live one? The comparison the signed shadow policy names. */
import type { ShadowPolicy } from '../types.js';
import type { Feeds, TensorLike } from '../types.js';

type Numeric = Exclude<TensorLike['data'], string[]>;

export function outputsAgree(live: Feeds, shadow: Feeds, policy: Pick<ShadowPolicy, 'compare' | 'tolerance'>): boolean {
  for (const [name, a] of Object.entries(live)) {
    const b = shadow[name];
    if (!b || b.data.length !== a.data.length || Array.isArray(a.data) || Array.isArray(b.data)) return false;
    const x = a.data as Numeric;
    const y = b.data as Numeric;
    if (policy.compare === 'argmax') {
      if (argmax(x) !== argmax(y)) return false;
    } else {
      for (let i = 0; i < x.length; i++) if (!(Math.abs(Number(x[i]) - Number(y[i])) <= policy.tolerance)) return false;
    }
  }
  return true;
}

function argmax(data: Numeric): number {
  let best = 0;
  for (let i = 1; i < data.length; i++) if (Number(data[i]) > Number(data[best])) best = i;
  return best;
}

/** A deep copy (a shadow run needs its own input: the live run transfers, i.e. detaches, the original). */
export function copyFeeds(feeds: Feeds): Feeds {
  const out: Record<string, TensorLike> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = { type: t.type, data: t.data.slice() as TensorLike['data'], dims: [...t.dims] };
  return out;
}
