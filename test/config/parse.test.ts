import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderHelp } from '../../src/config/help.ts';
import { optionSpecs, type OptionSpec } from '../../src/config/options.ts';
import { parseCommandLine, type Config } from '../../src/config/parse.ts';
import { ConfigError } from '../../src/errors.ts';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const parsed = parseCommandLine(argv, env);
  assert.equal(parsed.kind, 'run');
  return (parsed as { config: Config }).config;
}

function parseError(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseCommandLine(argv, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${argv.join(' ')} to be rejected`);
}

describe('parseCommandLine', () => {
  it('applies defaults for serve', () => {
    const config = parse(['serve']);
    assert.equal(config.command, 'serve');
    assert.equal(config.port, 9443);
    assert.equal(config.skipIfExists, false);
    assert.equal(config.keepOnUninstall, true);
    assert.equal(config.establishTimeoutMs, 60_000);
    assert.equal(config.lookupTimeoutMs, 3000);
    assert.deepEqual(config.certIpAddresses, ['127.0.0.1']);
    assert.equal(config.webhookUrl, undefined);
  });

  it('returns a frozen config', () => {
    const config = parse(['install']);
    assert.equal(Object.isFrozen(config), true);
    assert.equal(Object.isFrozen(config.certDnsNames), true);
  });

  it('prefers flags over environment over defaults', () => {
    const env = { INFERENCE_CRDS_PORT: '8443', INFERENCE_CRDS_LOG_LEVEL: 'debug' };
    const config = parse(['serve', '--port', '7443'], env);
    assert.equal(config.port, 7443);
    assert.equal(config.logLevel, 'debug');
  });

  it('reads booleans from flags, negations and environment', () => {
    assert.equal(parse(['install', '--skip-if-exists']).skipIfExists, true);
    assert.equal(parse(['install', '--no-keep-on-uninstall']).keepOnUninstall, false);
    assert.equal(parse(['install'], { INFERENCE_CRDS_KEEP_ON_UNINSTALL: 'FALSE' }).keepOnUninstall, false);
  });

  it('splits lists and drops empty items', () => {
    const config = parse(['serve', '--cert-dns-names', 'a.example, b.example,,']);
    assert.deepEqual(config.certDnsNames, ['a.example', 'b.example']);
  });

  it('rejects a non-integer port with the option and value', () => {
    const err = parseError(['serve', '--port', '94x3']);
    assert.equal(err.option, '--port');
    assert.match(err.message, /"94x3"/);
    assert.match(err.message, /integer from 0 to 65535/);
  });

  it('rejects an out-of-range timeout', () => {
    const err = parseError(['serve', '--lookup-timeout', '10']);
    assert.match(err.message, /--lookup-timeout/);
    assert.match(err.message, /from 50 to 29000/);
  });

  it('names the environment variable that held a bad value', () => {
    const err = parseError(['install'], { INFERENCE_CRDS_SKIP_IF_EXISTS: 'yes' });
    assert.match(err.message, /INFERENCE_CRDS_SKIP_IF_EXISTS/);
    assert.match(err.message, /"true" or "false" \(any case\)/);
  });

  it('rejects an unknown log level', () => {
    const err = parseError(['status', '--log-level', 'loud']);
    assert.match(err.message, /one of trace, debug, info/);
  });

  it('rejects an unknown command and a missing one', () => {
    assert.match(parseError(['deploy']).message, /one of serve, install, status/);
    assert.match(parseError([]).message, /one of serve, install, status/);
  });

  it('rejects extra arguments', () => {
    assert.match(parseError(['serve', 'extra']).message, /no arguments after the command/);
  });

  it('rejects a tls cert file without its key', () => {
    const err = parseError(['serve', '--tls-cert-file', '/tmp/tls.crt']);
    assert.match(err.message, /both set or both unset/);
  });

  it('rejects a non-IP certificate address', () => {
    assert.match(parseError(['serve', '--cert-ip-addresses', 'localhost']).message, /IPv4 or IPv6/);
  });

  it('rejects a webhook url that is not https', () => {
    assert.match(parseError(['serve', '--webhook-url', 'http://127.0.0.1/validate']).message, /https:\/\//);
  });

  it('returns help for --help and for help COMMAND', () => {
    assert.deepEqual(parseCommandLine(['--help'], {}), { kind: 'help' });
    assert.deepEqual(parseCommandLine(['help', 'serve'], {}), { kind: 'help', command: 'serve' });
    assert.deepEqual(parseCommandLine(['install', '-h'], {}), { kind: 'help', command: 'install' });
  });
});

describe('renderHelp', () => {
  it('documents every serve option with its default', () => {
    const text = renderHelp('serve');
    const specs: readonly OptionSpec[] = optionSpecs;
    for (const spec of specs.filter((option) => option.commands.includes('serve'))) {
      assert.match(text, new RegExp(`--${spec.flag}\\b`), `--${spec.flag} missing`);
      assert.match(text, new RegExp(`env: ${spec.env}\\b`), `${spec.env} missing`);
    }
    assert.match(text, /\(default: 9443\)/);
  });

  it('lists only the options a command reads', () => {
    assert.doesNotMatch(renderHelp('status'), /--webhook-url/);
  });
});
