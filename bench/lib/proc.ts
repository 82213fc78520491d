// Process CPU time and memory from /proc (Linux), for engines that run as their own process.
import { readFileSync } from 'node:fs';

/** ProcessUsage is what /proc says about one process at one moment. */
export interface ProcessUsage {
  /** CpuSeconds is user + system CPU time since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** PeakRssBytes is the kernel's high-water mark of RSS (VmHWM). */
  peakRssBytes: number;
}

// USER_HZ is 100 on every Linux ABI Node runs on (sysconf(_SC_CLK_TCK)).
const ticksPerSecond = 100;

/** ReadUsage returns a process's usage, or undefined when it is gone. */
export function readUsage(pid: number): ProcessUsage | undefined {
  let stat: string;
  let status: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces) start at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuSeconds: (utime + stime) / ticksPerSecond, rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

/** SumUsage adds the usage of several processes (e.g. Crossplane core and its function). */
export function sumUsage(pids: number[]): ProcessUsage {
  const total: ProcessUsage = { cpuSeconds: 0, rssBytes: 0, peakRssBytes: 0 };
  for (const pid of pids) {
    const u = readUsage(pid);
    if (u === undefined) continue;
    total.cpuSeconds += u.cpuSeconds;
    total.rssBytes += u.rssBytes;
    total.peakRssBytes += u.peakRssBytes;
  }
  return total;
}

/**
 * A UsageSampler polls processes and keeps the peak of their summed RSS (VmHWM is per process;
 * the sum of peaks can exceed the peak of the sum, so both are reported).
 */
export interface UsageSampler {
  /** Stop stops sampling and returns the last reading with the sampled peak of the summed RSS. */
  stop(): ProcessUsage & { sampledPeakRssBytes: number };
}

export function sampleUsage(pids: () => number[], intervalMs = 250): UsageSampler {
  let peak = 0;
  let last: ProcessUsage = { cpuSeconds: 0, rssBytes: 0, peakRssBytes: 0 };
  const tick = (): void => {
    const u = sumUsage(pids());
    if (u.rssBytes > 0) last = u;
    peak = Math.max(peak, u.rssBytes);
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      tick();
      return { ...last, sampledPeakRssBytes: peak };
    },
  };
}
