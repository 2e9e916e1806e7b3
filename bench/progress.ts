/** Progress lines while the bench runs: elapsed time, scenario, repetition, what it measured. */
export interface Progress {
  /** A line under the current scenario. */
  log(message: string): void;
  /** Starts a scenario's section. */
  section(name: string, what: string): void;
  elapsedS(): number;
}

export function createProgress(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Progress {
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const stamp = () => `[${elapsedS().toFixed(1).padStart(6)}s]`;
  let current = '';
  return {
    elapsedS,
    section(name, what) {
      current = name;
      write(`${stamp()} ${name}: ${what}`);
    },
    log(message) {
      write(`${stamp()}   ${current} · ${message}`);
    },
  };
}
