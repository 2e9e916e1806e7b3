/** The terminal the CLI writes to, injected so tests capture it, and progress output on it. */

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress then redraws one line instead of printing many. */
  readonly isTTY?: boolean;
  readonly now?: () => number;
}

/** Progress on stderr: one redrawn line on a terminal, a line per 10 % otherwise (CI logs). */
export function progressLine(io: CliIo, label: string): (done: number, total: number, unit: string) => void {
  let lastDecile = -1;
  return (done, total, unit) => {
    if (io.isTTY) {
      io.stderr(`\r${label}: ${done}/${total} ${unit}${done === total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor((done / total) * 10);
    if (decile !== lastDecile && (decile > lastDecile || done === total) && total > 1) {
      lastDecile = decile;
      io.stderr(`${label}: ${done}/${total} ${unit}\n`);
    }
  };
}
