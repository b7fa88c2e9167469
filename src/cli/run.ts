import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { commandNamedIn } from '../config/arguments.ts';
import { renderHelp } from '../config/help.ts';
import { parseCommandLine, type Config } from '../config/parse.ts';
import { ConfigError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { Command } from '../config/options.ts';

/** A command's implementation; resolves to the process exit code. */
export type CommandRunner = (config: Config, logger: Logger) => Promise<number>;

// Loaded on demand so that `status` does not pay for Fastify and `--help`
// pays for nothing.
const runners: Record<Command, () => Promise<CommandRunner>> = {
  install: async () => (await import('./install.ts')).runInstall,
  status: async () => (await import('./status.ts')).runStatus,
  serve: async () => (await import('./serve.ts')).runServe,
  uninstall: async () => (await import('./uninstall.ts')).runUninstall,
};

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

// Points to the help of the command that argv names, else to the overview.
function usageHint(argv: readonly string[]): string {
  const command = commandNamedIn(argv);
  const helpCommand = command === undefined ? '--help' : `${command} --help`;
  return `Run "inference-extension-crds ${helpCommand}" for usage.`;
}

/**
 * Parses the command line, runs the command and returns the exit code:
 * 0 success, 1 failure, 2 usage error or uninstall without --yes.
 */
export async function runCli(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`inference-extension-crds: ${err.message}`);
      console.error(usageHint(argv));
      return 2;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    console.log(renderHelp(parsed.command));
    return 0;
  }
  if (parsed.kind === 'version') {
    console.log(packageVersion());
    return 0;
  }
  const { config } = parsed;
  // install and status print their results on stdout, so their logs go to stderr.
  const destination = config.command === 'serve' ? undefined : pino.destination({ fd: 2, sync: true });
  const logger = createLogger(config.logLevel, destination);
  const runner = await runners[config.command]();
  try {
    return await runner(config, logger);
  } catch (err) {
    logger.fatal({ err, command: config.command }, 'command failed');
    return 1;
  }
}
