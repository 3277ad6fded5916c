/** CPU time of processes on Linux, from /proc, for the bench's readings. */
import fs from 'node:fs';

/** A process's fields in /proc/<pid>/stat after its name, or undefined once it has ended. */
function statOf(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU of a process (all its threads), in ms; 0 once it has ended. */
export function cpuOf(pid: number): number {
  const fields = statOf(pid);
  return fields ? ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 : 0;
}

/** The CPU of every PostgreSQL process on this machine (server and backends), in ms, by pid. */
export function postgresCpu(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres')
        byPid.set(Number(entry), cpuOf(Number(entry)));
    } catch {
      // The process ended while the list was read.
    }
  }
  return byPid;
}

/** CPU PostgreSQL used between two readings of postgresCpu (backends started in between count from 0), in ms. */
export function postgresCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
