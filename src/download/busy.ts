/**
 * Where a download's time goes: for one kind of work (requests, hashing, storage writes), the wall
 * time during which at least one of them ran. Concurrent operations overlap, so the figure never
 * exceeds the download's own duration, and the kinds together may sum to more than it.
 */
export class Busy {
  #active = 0;
  #since = 0;
  #wallMs = 0;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Marks one operation started; call the returned function (once) when it ends. */
  begin(): () => void {
    if (this.#active++ === 0) this.#since = this.#now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.#active === 0) this.#wallMs += this.#now() - this.#since;
    };
  }

  /** Runs `op` as one operation. */
  async time<T>(op: () => Promise<T>): Promise<T> {
    const end = this.begin();
    try {
      return await op();
    } finally {
      end();
    }
  }

  /** Milliseconds with at least one operation running, up to now. */
  get wallMs(): number {
    return this.#wallMs + (this.#active > 0 ? this.#now() - this.#since : 0);
  }
}
