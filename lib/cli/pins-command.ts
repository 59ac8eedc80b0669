/**
 * `node lib/server.js pins [flags]` lists the pinned versions; `node lib/server.js pins verify
 * [flags]` recomputes every pinned version's `.mod` and `.zip` hashes from git (at the pinned
 * commit) and reports the ones that differ or cannot be made any more, e.g. after a repository was
 * restored from a backup. The flags are the server's (`--repos`, `--data`, `--config`, …).
 */
import { cpus } from 'node:os';
import type { ServerConfig } from './config.ts';
import { proxyOptionsOf, resolveOptions } from './config.ts';
import { ConfigError } from '../common/errors.ts';
import type { Pin } from '../pins/file-store.ts';
import * as semver from '../modules/semver.ts';
import { ModuleService } from '../access/module-service.ts';
import { Hash1, hashGoMod } from '../zip/hash.ts';

/** Reads the server's flags, environment and config file. */
export type ConfigReader = (argv: string[]) => ServerConfig;

/** What `verify` found for one pin: undefined when it matches. */
type Finding = string | undefined;

/** Runs the subcommand; resolves with the exit status (0 fine, 1 verify found problems, 2 usage). */
export async function pinsCommand(argv: string[], readConfig: ConfigReader): Promise<number> {
  const out = process.stdout;
  const verify = argv[0] === 'verify';
  let service: ModuleService;
  try {
    const options = proxyOptionsOf(readConfig(verify ? argv.slice(1) : argv));
    service = new ModuleService(resolveOptions(options));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`git-goproxy: ${error.message}\n`);
    return 2;
  }
  try {
    const pins = sortPins(service.pins.store.all());
    if (!verify) {
      for (const pin of pins) out.write(`${formatPin(pin)}\n`);
      return 0;
    }
    return await verifyPins(service, pins, out);
  } finally {
    await service.close();
  }
}

/** One line per pin: module, version, commit, time, zip hash (`-` until served), go.mod hash. */
function formatPin(pin: Pin): string {
  return `${pin.module} ${pin.version} ${pin.commit} ${pin.time} ${pin.zip ?? '-'} ${pin.mod}`;
}

function sortPins(pins: Pin[]): Pin[] {
  return pins.sort((a, b) => (a.module === b.module ? semver.compare(a.version, b.version) : a.module < b.module ? -1 : 1));
}

async function verifyPins(service: ModuleService, pins: readonly Pin[], out: NodeJS.WritableStream): Promise<number> {
  const findings: Finding[] = new Array(pins.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pins.length; i = next++) findings[i] = await verifyPin(service, pins[i]!).catch((error: Error) => `cannot check: ${error.message}`);
  };
  await Promise.all(Array.from({ length: Math.min(cpus().length, pins.length) }, worker));
  let bad = 0;
  findings.forEach((finding, i) => {
    if (finding === undefined) return;
    bad++;
    out.write(`${pins[i]!.module}@${pins[i]!.version}: ${finding}\n`);
  });
  out.write(`pins verify: ${pins.length} pinned, ${pins.length - bad} match, ${bad} ${bad === 1 ? 'does' : 'do'} not\n`);
  return bad === 0 ? 0 : 1;
}

async function verifyPin(service: ModuleService, pin: Pin): Promise<Finding> {
  const target = await service.operatorTarget(pin.module);
  if (target === undefined) return 'no project serves this module any more';
  const version = await target.module.atCommit(pin.version, pin.commit);
  if (version === undefined) return `commit ${pin.commit} is no longer in the repository`;
  const mod = hashGoMod(version.goMod);
  if (mod !== pin.mod) return `go.mod is ${mod}, pinned ${pin.mod}`;
  if (pin.zip === undefined) return undefined;
  const hash = new Hash1();
  const zip = await service.openZip(target, version, new AbortController().signal, (name, sha256Hex) => hash.add(name, sha256Hex));
  for await (const _chunk of zip.chunks);
  const digest = hash.digest();
  return digest === pin.zip ? undefined : `zip is ${digest}, pinned ${pin.zip}`;
}
