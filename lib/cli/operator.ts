/**
 * The one setup of the operator commands (`pins`, `pins verify`, `sum`): the server's flags,
 * environment and config file (every key the server takes, `listen`, `workers` and the timeouts
 * included, so one config serves both), turned into the same `ModuleService` the server runs, with
 * the same defaults and the same pin store. A command gets its operands, the service and where to
 * write; the service is closed when it ends.
 */
import type { ServerConfig } from './config.ts';
import { proxyOptionsOf, resolveOptions } from './config.ts';
import { ConfigError } from '../common/errors.ts';
import { ModuleService } from '../access/module-service.ts';

/** Where a command writes. */
export interface CommandOutput {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** An operator command: resolves with the exit status (0 fine, 1 the command found problems, 2 usage). */
export type OperatorCommand = (
  operands: readonly string[],
  service: ModuleService,
  output: CommandOutput,
) => Promise<number>;

/** Opens the server's service from `config`, runs `command` with it, and closes it. A config error is exit status 2. */
export async function runOperatorCommand(
  command: OperatorCommand,
  operands: readonly string[],
  config: ServerConfig,
  output: CommandOutput,
): Promise<number> {
  let service: ModuleService;
  try {
    service = new ModuleService(resolveOptions(proxyOptionsOf(config)));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    output.stderr(`git-goproxy: ${error.message}\n`);
    return 2;
  }
  try {
    return await command(operands, service, output);
  } finally {
    await service.close();
  }
}
