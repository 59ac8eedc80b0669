/**
 * The operating system's view of this process's children (Linux `/proc`), for fault tests that must
 * count one kind of git process (`git archive`) without the long-lived helpers that come and go
 * on their own timers (`cat-file --batch-command` readers stop when idle).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** How many live children of this process have `word` among their arguments (e.g. `'archive'`). */
export function childProcessCount(word: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = childArguments(Number(entry));
    if (args?.includes(word)) count++;
  }
  return count;
}

/** The arguments of process `pid` if it is a live (not zombie) child of this process. */
function childArguments(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, …
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) !== process.pid || state === 'Z') return undefined;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined; // exited while we looked
  }
}

/** How many file descriptors this process has open. */
export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
