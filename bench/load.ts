/**
 * A small closed-loop HTTP load generator on `node:http`: `concurrency` workers, each on its own
 * keep-alive connection, send GET requests back to back for a fixed time. Every answer must have
 * the expected status; bodies are read and dropped.
 *
 * Run as a program (`node --import tsx bench/load.ts <options as JSON>`) it warms up (a short run),
 * prints `ready`, makes one run once a line arrives on its standard input and prints the result as
 * JSON: a client in a process of its own, whose latencies do not include the waits of other
 * clients on the same event loop.
 */
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';

/** What to load and for how long. */
export interface LoadOptions {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Request paths, used round-robin by each worker. */
  readonly paths: readonly string[];
  readonly concurrency: number;
  readonly durationMs: number;
  /** Status every answer must have; default 200. */
  readonly expectStatus?: number;
}

/** The outcome of one load run. */
export interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  /** Latency percentiles in milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The slowest request, in milliseconds. */
  readonly maxMs: number;
  /** Answers with another status, or failed requests. */
  readonly errors: number;
  /** The first error seen, for the report. */
  readonly firstError: string | undefined;
}

/** Runs the load and returns throughput and latency; never throws for a failed request. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency, maxFreeSockets: options.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + options.durationMs;
  const worker = async (offset: number): Promise<void> => {
    for (let i = offset; performance.now() < deadline; i++) {
      const path = options.paths[i % options.paths.length];
      const sent = performance.now();
      try {
        await get(agent, options.url + path, options.expectStatus ?? 200);
        latencies.push(performance.now() - sent);
      } catch (error) {
        errors++;
        firstError ??= `${path}: ${(error as Error).message}`;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  const elapsed = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return {
    requests: latencies.length,
    requestsPerSecond: (latencies.length * 1000) / elapsed,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    maxMs: latencies.at(-1) ?? NaN,
    errors,
    firstError,
  };
}

function get(agent: Agent, url: string, expectStatus: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.once(
        'end',
        () => (res.statusCode === expectStatus ? resolve() : reject(new Error(`status ${res.statusCode}`))),
      );
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/** How long the program warms its client up before the measured run. */
const WARM_UP_MS = 300;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const options = JSON.parse(process.argv[2]!) as LoadOptions;
  await runLoad({ ...options, durationMs: WARM_UP_MS });
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
  process.stdout.write(`${JSON.stringify(await runLoad(options))}\n`);
}
