import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system) of a process from /proc, in ms; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms (USER_HZ 100)
  } catch {
    return 0;
  }
}

/**
 * A process's CPU once its start-up work is done: read when it has used at most `slackMs` more over `quietMs`
 * (a service's first passes run after it says it started; what stays is its idle timers). The idle start-up a
 * drain subtracts, and the point an embedded run's span starts from, for every consumer alike. A process that is
 * not quiet within `maxMs` is not settling but busy: its CPU at the call is taken (nothing of its work after it).
 */
export async function settledCpuMs(
  pid: number,
  quietMs = 500,
  slackMs = 10,
  maxMs = 10_000,
): Promise<{ cpuMs: number; settleMs: number; quiet: boolean }> {
  const t0 = performance.now();
  const atCall = processCpuMs(pid);
  let mark = atCall;
  let markAt = t0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    const cpu = processCpuMs(pid);
    const t = performance.now();
    if (cpu - mark > slackMs) [mark, markAt] = [cpu, t];
    else if (t - markAt >= quietMs) return { cpuMs: cpu, settleMs: cpu - atCall, quiet: true };
    if (t - t0 >= maxMs) return { cpuMs: atCall, settleMs: 0, quiet: false };
  }
}

/** Children of this process named `comm` (e.g. the influxd and mosquitto the bench started). */
export function childPids(comm: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (name === comm && ppid === process.pid) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Busy and total CPU time of the whole machine (all cores), in ms. */
export function machineCpuMs(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy * 10, total: (busy + idle + iowait) * 10 };
}

/** CPU spent by each named process and the machine between start() and stop(), per reading. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const ids = Object.entries(pids).filter((e): e is [string, number] => e[1] !== undefined);
  const c0 = new Map(ids.map(([k, p]) => [k, processCpuMs(p)]));
  const self0 = process.cpuUsage();
  const m0 = machineCpuMs();
  return (readings: number) => {
    const m1 = machineCpuMs();
    const self = process.cpuUsage(self0);
    const per = (ms: number) => +((ms * 1000) / readings).toFixed(1);
    const usPerReading: Record<string, number> = { publisher: per((self.user + self.system) / 1000) };
    for (const [k, p] of ids) usPerReading[k] = per(processCpuMs(p) - c0.get(k)!);
    return { usPerReading, machineBusy: +((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)).toFixed(2) };
  };
}
