// Which thread of which process used how much CPU, and on which core it last ran, over a short
// window: two reads of /proc/<pid>/task/<tid>/stat (Linux only; elsewhere the sample is empty).
import { readdirSync, readFileSync } from 'node:fs';

interface ThreadTicks {
  process: string;
  pid: number;
  tid: number;
  comm: string;
  ticks: number;
  core: number;
}

// USER_HZ: the unit of utime/stime in /proc; 100 on every Linux platform Node.js supports.
const TICKS_PER_SECOND = 100;

function readThreads(processes: readonly { name: string; pid: number }[]): ThreadTicks[] {
  const threads: ThreadTicks[] = [];
  for (const { name, pid } of processes) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone, or not Linux
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        // comm is in parentheses and may hold spaces; the fields after it are space-separated.
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // After comm: field 3 is state (index 0 here), utime is 14 (11), stime 15 (12), processor 39 (36).
        threads.push({
          process: name,
          pid,
          tid: Number(tid),
          comm,
          ticks: Number(fields[11]) + Number(fields[12]),
          core: Number(fields[36]),
        });
      } catch {
        // the thread ended between listing and reading
      }
    }
  }
  return threads;
}

export interface ThreadUse {
  process: string;
  pid: number;
  tid: number;
  comm: string;
  /** Percent of one core over the window. */
  cpu: number;
  /** The core the thread last ran on. */
  core: number;
}

export async function sampleThreads(
  processes: readonly { name: string; pid: number }[],
  windowMs: number,
): Promise<ThreadUse[]> {
  const first = new Map(readThreads(processes).map((thread) => [thread.tid, thread]));
  await new Promise((resolveSleep) => setTimeout(resolveSleep, windowMs));
  return readThreads(processes)
    .map((thread) => ({
      process: thread.process,
      pid: thread.pid,
      tid: thread.tid,
      comm: thread.comm,
      cpu:
        ((thread.ticks - (first.get(thread.tid)?.ticks ?? thread.ticks)) /
          TICKS_PER_SECOND /
          (windowMs / 1000)) *
        100,
      core: thread.core,
    }))
    .sort((a, b) => b.cpu - a.cpu);
}

/** The busiest threads as a fixed-width table (threads under 1% of a core are summed per process). */
export function formatThreadUse(label: string, threads: readonly ThreadUse[]): string {
  const busy = threads.filter((thread) => thread.cpu >= 1);
  const idle = new Map<string, number>();
  for (const thread of threads) {
    if (thread.cpu < 1) idle.set(thread.process, (idle.get(thread.process) ?? 0) + 1);
  }
  const rows = busy.map(
    (t) =>
      `${t.process.padEnd(12)} ${String(t.pid).padStart(7)} ${String(t.tid).padStart(7)}  ${(t.tid === t.pid ? `${t.comm} (main)` : t.comm).padEnd(16)} ${t.cpu.toFixed(0).padStart(4)}%  cpu${t.core}`,
  );
  const quiet = [...idle].map(([name, count]) => `${name}: ${count} more threads under 1%`).join('; ');
  return [
    `${label}`,
    `${'process'.padEnd(12)} ${'pid'.padStart(7)} ${'tid'.padStart(7)}  ${'thread'.padEnd(16)} ${'cpu'.padStart(5)}  core`,
    ...rows,
    ...(quiet ? [quiet] : []),
  ].join('\n');
}
