/**
 * Temporary files named after the process that writes them (zip cache part files, zip spool files),
 * so that a start can tell a leftover of a process that is gone from a file a live sibling is still
 * writing (`--workers` share a data dir).
 */
import { randomBytes } from 'node:crypto';

/** This run of this process: tells its files from those of an earlier run that had the same pid (a restarted container's pid 1). */
export const RUN_ID = randomBytes(4).toString('hex');

/** Whether a process with this id is running (signal 0 checks without sending one). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the writer of a file, named by its pid and run id, is gone. */
export function writerIsGone(pid: number, runId: string): boolean {
  return pid === process.pid ? runId !== RUN_ID : !isRunning(pid);
}
