/**
 * A full garbage collection on demand, for tests that measure what is retained rather than what the
 * collector has not yet got round to: Node exposes `gc` only with `--expose-gc`, which the test
 * runner's children are not started with, so the flag is set here and the function taken from a
 * fresh context (V8 installs it on contexts made after the flag is set).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage, then answers the bytes held in ArrayBuffers (Buffers included). */
export function retainedArrayBuffers(): number {
  gc();
  return process.memoryUsage().arrayBuffers;
}
