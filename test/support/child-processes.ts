/**
 * The operating system's view of a process (Linux `/proc`): its children, descriptors and memory.
 * Fault tests and the soak count one kind of git process (`git archive`) this way, apart from the
 * long-lived helpers that come and go on their own timers (`cat-file --batch-command` readers
 * stop when idle).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** How many live children of `parent` have `word` among their arguments (e.g. `'archive'`, `'git'`). */
export function childProcessCount(word: string, parent: number = process.pid): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = childArguments(Number(entry), parent);
    if (args?.includes(word)) count++;
  }
  return count;
}

/** The arguments of process `pid` if it is a live (not zombie) child of `parent`. */
function childArguments(pid: number, parent: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, …
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) !== parent || state === 'Z') return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined; // exited while we looked
  }
}

/** How many file descriptors process `pid` has open. */
export function openFdCount(pid: number | 'self' = 'self'): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of process `pid` in bytes (`VmRSS`). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
