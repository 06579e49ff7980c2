/** The command line's progress bar (shared by `serve --simulate`'s backfill and `verify`'s seal check). */

export const progressBar = (fraction: number, width = 30): string => {
  const full = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
};

/**
 * A reporter of done/total: redrawn in place on a terminal, a line every 10 % otherwise (logs stay short).
 * `end()` finishes the line.
 */
export function progressReporter(label: string, tty: boolean, write: (s: string) => void) {
  let lastTenth = -1;
  const line = (done: number, total: number) => {
    const f = total ? done / total : 1;
    return `${label} ${progressBar(f)} ${(f * 100).toFixed(1).padStart(5)}%  ${done}/${total}`;
  };
  let last = '';
  return {
    update(done: number, total: number): void {
      last = line(done, total);
      if (tty) return write(`\r${last}\x1b[K`);
      const tenth = Math.floor((total ? done / total : 1) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        write(`${last}\n`);
      }
    },
    end(): void {
      if (tty && last) write('\n');
    },
  };
}
