// Reads argv into flags and positionals. node:util parseArgs splits the
// words, but its strict mode rejects `--flag=false` for booleans and a
// negative number after `--port`, and its messages advise `--` for any
// unknown option. So the words are split leniently and checked here.
import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.ts';
import { commands, optionSpecs, type Command } from './options.ts';

export type FlagValue = string | boolean;

export interface CommandLineArguments {
  /** Values by flag name; a flag given twice keeps its last value. */
  readonly flags: Record<string, FlagValue>;
  readonly positionals: readonly string[];
}

/** A command-line mistake other than an invalid value, such as an unknown option. */
export class UsageError extends ConfigError {
  constructor(option: string, message: string) {
    super(option, undefined, '');
    this.message = message;
  }
}

type ArgumentKind = 'boolean' | 'string';

const kinds = new Map<string, ArgumentKind>([
  ...optionSpecs.map((spec) => [spec.flag, spec.kind === 'boolean' ? 'boolean' : 'string'] as const),
  ['help', 'boolean'],
  ['version', 'boolean'],
]);

const parseOptions = Object.fromEntries(
  [...kinds].map(([flag, type]) => [flag, flag === 'help' ? { type, short: 'h' } : { type }]),
);

type Token = ReturnType<typeof tokensOf>[number];
type OptionToken = Extract<Token, { kind: 'option' }>;

function tokensOf(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    options: parseOptions,
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  }).tokens;
}

function commandOf(tokens: readonly Token[]): Command | undefined {
  const first = tokens.find((token) => token.kind === 'positional');
  const name = first?.kind === 'positional' ? first.value : undefined;
  return commands.find((command) => command === name);
}

/** Returns the command that argv names, if any, so that errors can point to its help. */
export function commandNamedIn(argv: readonly string[]): Command | undefined {
  return commandOf(tokensOf(argv));
}

// Accepts --flag=true and --flag=false in any case, like the environment variables.
function booleanValue(rawName: string, value: string): boolean {
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true') return true;
  if (normalized === 'false') return false;
  throw new ConfigError(rawName, value, '"true" or "false" (any case)');
}

function unknownOption(rawName: string, command: Command | undefined): UsageError {
  const where = command === undefined ? '' : ` for command ${command}`;
  return new UsageError(rawName, `unknown option ${rawName}${where}`);
}

// A word that starts with "-" after a value option is taken as its value
// only when it is a negative number, so that `--port --help` still fails.
function stringValue(token: OptionToken): string {
  const { rawName, value } = token;
  const isOption = !token.inlineValue && value?.startsWith('-') && !/^-\d/.test(value);
  if (value === undefined || isOption) {
    throw new UsageError(rawName, `option ${rawName} needs a value`);
  }
  return value;
}

function flagValue(token: OptionToken, command: Command | undefined): FlagValue {
  const kind = kinds.get(token.name);
  const negated = token.rawName !== `--${token.name}` && token.rawName.startsWith('--no-');
  const short = !token.rawName.startsWith('--') && token.name !== 'help';
  if (kind === undefined || short || (negated && kind !== 'boolean')) {
    throw unknownOption(token.rawName, command);
  }
  if (kind === 'string') return stringValue(token);
  if (negated) return false;
  return token.value === undefined ? true : booleanValue(token.rawName, token.value);
}

/**
 * Splits argv into flags and positionals. Throws a ConfigError for an unknown
 * option, a missing value or a boolean flag set to anything but true or false.
 */
export function readArguments(argv: readonly string[]): CommandLineArguments {
  const tokens = tokensOf(argv);
  const command = commandOf(tokens);
  const flags: Record<string, FlagValue> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind === 'option') flags[token.name] = flagValue(token, command);
  }
  return { flags, positionals };
}
