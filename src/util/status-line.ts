/**
 * One status line at the bottom of a terminal (the demo's progress bar), shared with the log: a log line
 * written while the bar is shown first clears the bar's line (`\r` + erase), then the bar is drawn again
 * under it. Without this a log line landed on the bar's line (issue 26: `ETA 54 s\e[K[01:21:57.290] INFO: ...`).
 */
export interface StatusLine {
  /** Draw (or redraw) the line in place. */
  show(text: string): void;
  /** Leave the line as it is, end it with a newline and stop redrawing it. */
  done(text: string): void;
  /** Write a log line's text above the status line. */
  above(write: () => void): void;
}

export function createStatusLine(write: (s: string) => void): StatusLine {
  let current: string | undefined;
  return {
    show(text) {
      current = text;
      write(`\r${text}\x1b[K`);
    },
    done(text) {
      current = undefined;
      write(`\r${text}\x1b[K\n`);
    },
    above(writeLog) {
      if (current === undefined) return writeLog();
      write('\r\x1b[K');
      writeLog();
      write(`\r${current}\x1b[K`);
    },
  };
}

/** The process's terminal status line (stderr): the logger and the progress bar meet here. */
export const terminalStatus = createStatusLine((s) => void process.stderr.write(s));
