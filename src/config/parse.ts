import { isIP } from 'node:net';
import type { LevelWithSilent } from 'pino';
import { ConfigError } from '../errors.ts';
import { guardWebhookTimeoutSeconds } from '../kube/webhook-configuration.ts';
import { readArguments } from './arguments.ts';
import { commands, optionSpecs, type Command, type OptionSpec } from './options.ts';

/** The validated configuration of one run; frozen once parsed. */
export interface Config {
  readonly command: Command;
  readonly kubeconfig?: string;
  readonly bundle?: string;
  readonly skipIfExists: boolean;
  readonly keepOnUninstall: boolean;
  readonly allowDowngrade: boolean;
  readonly establishTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly logLevel: LevelWithSilent;
  readonly listenAddress: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly lookupTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly certDir: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly tlsCaFile?: string;
  readonly certDnsNames: readonly string[];
  readonly certIpAddresses: readonly string[];
  readonly servingCertValidityMs: number;
  readonly caValidityMs: number;
  /** Fraction of a generated certificate's lifetime after which it is replaced, from 0.1 to 0.9. */
  readonly certRenewalFraction: number;
  readonly caSecret?: string;
  readonly namespace: string;
  readonly webhookConfigName: string;
  readonly webhookUrl?: string;
  readonly allowWebhookConfigDeletion: boolean;
  readonly keepCrds: boolean;
  /** Whether uninstall may delete the CRDs and every object of their kinds. */
  readonly yes: boolean;
}

/** The outcome of reading the command line: a config to run, or help to print. */
export type ParsedCommandLine =
  | { readonly kind: 'run'; readonly config: Config }
  | { readonly kind: 'help'; readonly command?: Command }
  | { readonly kind: 'version' };

type RawValue = string | boolean | undefined;

// A flag beats its environment variable, which beats the default.
function rawValue(spec: OptionSpec, flags: Record<string, RawValue>, env: NodeJS.ProcessEnv): RawValue {
  const fromFlag = flags[spec.flag];
  if (fromFlag !== undefined) return fromFlag;
  const fromEnv = spec.env === undefined ? undefined : env[spec.env];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return spec.default;
}

function parseBoolean(name: string, value: string | boolean): boolean {
  if (typeof value === 'boolean') return value;
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true') return true;
  if (normalized === 'false') return false;
  throw new ConfigError(name, value, '"true" or "false" (any case)');
}

function parseInteger(spec: OptionSpec, name: string, value: string): number {
  const trimmed = value.trim();
  const number = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  const min = spec.min ?? Number.MIN_SAFE_INTEGER;
  const max = spec.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new ConfigError(name, value, `an integer from ${min} to ${max}`);
  }
  return number;
}

function parseList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function convert(spec: OptionSpec, value: RawValue, env: NodeJS.ProcessEnv): unknown {
  if (value === undefined) return undefined;
  const name = describeSource(spec, env);
  if (spec.kind === 'boolean') return parseBoolean(name, value);
  if (typeof value === 'boolean') throw new ConfigError(name, value, 'a value');
  switch (spec.kind) {
    case 'integer':
      return parseInteger(spec, name, value);
    case 'list':
      return parseList(value);
    case 'enum':
      if (!spec.values?.includes(value)) {
        throw new ConfigError(name, value, `one of ${spec.values?.join(', ')}`);
      }
      return value;
    default:
      if (value.trim() === '') throw new ConfigError(name, value, 'a non-empty string');
      return value;
  }
}

// Names the option in errors the way the user set it.
function describeSource(spec: OptionSpec, env: NodeJS.ProcessEnv): string {
  const fromEnv = spec.env !== undefined && env[spec.env] !== undefined;
  return fromEnv ? `--${spec.flag} (${spec.env})` : `--${spec.flag}`;
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function parseCommand(positionals: string[]): Command {
  if (positionals.length === 0) {
    throw new ConfigError('command', '', `one of ${commands.join(', ')}`);
  }
  const [name, ...rest] = positionals;
  if (!commands.includes(name as Command)) {
    throw new ConfigError('command', name, `one of ${commands.join(', ')}`);
  }
  if (rest.length > 0) {
    throw new ConfigError('arguments', rest.join(' '), 'no arguments after the command; options start with --');
  }
  return name as Command;
}

/**
 * Parses the command line and the environment into a frozen Config.
 * Throws ConfigError naming the option, the value given and what is allowed.
 */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const parsed = readArguments(argv);
  const flags: Record<string, RawValue> = parsed.flags;
  if (flags.version === true) return { kind: 'version' };
  if (flags.help === true || parsed.positionals[0] === 'help') {
    const named = parsed.positionals.find((word) => commands.includes(word as Command)) as Command | undefined;
    return named === undefined ? { kind: 'help' } : { kind: 'help', command: named };
  }

  const command = parseCommand([...parsed.positionals]);
  const values: Record<string, unknown> = { command };
  for (const spec of optionSpecs) {
    values[camelCase(spec.flag)] = convert(spec, rawValue(spec, flags, env), env);
  }
  return { kind: 'run', config: finish(values) };
}

const secondsOptions = [
  'establishTimeout',
  'connectTimeout',
  'shutdownTimeout',
  'servingCertValidity',
  'caValidity',
] as const;

const ownWebhookTimeoutMs = guardWebhookTimeoutSeconds * 1000;

// Converts units, checks options that depend on each other and freezes.
function finish(values: Record<string, unknown>): Config {
  for (const name of secondsOptions) {
    values[`${name}Ms`] = (values[name] as number) * 1000;
    delete values[name];
  }
  values.requestTimeoutMs = values.requestTimeout;
  values.lookupTimeoutMs = values.lookupTimeout;
  delete values.requestTimeout;
  delete values.lookupTimeout;
  values.certRenewalFraction = (values.certRenewalPercent as number) / 100;
  delete values.certRenewalPercent;
  checkCertificateTimes(values);
  if (values.command === 'uninstall' && values.keepCrds === true && values.allowWebhookConfigDeletion !== true) {
    throw new ConfigError('--keep-crds', true, 'together with --allow-webhook-config-deletion; alone it leaves uninstall nothing to do');
  }

  if ((values.tlsCertFile === undefined) !== (values.tlsKeyFile === undefined)) {
    throw new ConfigError('--tls-cert-file and --tls-key-file', values.tlsCertFile ?? values.tlsKeyFile, 'both set or both unset');
  }
  for (const address of values.certIpAddresses as string[]) {
    if (isIP(address) === 0) throw new ConfigError('--cert-ip-addresses', address, 'IPv4 or IPv6 addresses');
  }
  const url = values.webhookUrl as string | undefined;
  if (url !== undefined && !isHttpsUrl(url)) {
    throw new ConfigError('--webhook-url', url, 'an absolute https:// URL');
  }
  // A lookup that outlasts the webhook's timeout ends as an API server timeout
  // instead of the guard's own denial, which names the cause.
  if (url !== undefined && (values.lookupTimeoutMs as number) >= ownWebhookTimeoutMs) {
    const allowed = `less than ${ownWebhookTimeoutMs} ms, the timeout of the --webhook-url webhook`;
    throw new ConfigError('--lookup-timeout', values.lookupTimeoutMs, allowed);
  }
  values.certDnsNames = Object.freeze(values.certDnsNames as string[]);
  values.certIpAddresses = Object.freeze(values.certIpAddresses as string[]);
  return Object.freeze(values) as unknown as Config;
}

// A CA that expires before the serving certificates it signs would cut each
// of them short, so the serving certificate's validity would mean nothing.
function checkCertificateTimes(values: Record<string, unknown>): void {
  const servingMs = values.servingCertValidityMs as number;
  const caMs = values.caValidityMs as number;
  if (caMs < servingMs) {
    const allowed = `at least --serving-cert-validity (${servingMs / 1000} s)`;
    throw new ConfigError('--ca-validity', caMs / 1000, allowed);
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
