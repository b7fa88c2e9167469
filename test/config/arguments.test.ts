// Command-line words that parseArgs' strict mode handles badly: boolean flags
// with =true/=false, negative numbers and unknown options.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandNamedIn } from '../../src/config/arguments.ts';
import { parseCommandLine, type Config } from '../../src/config/parse.ts';
import { ConfigError } from '../../src/errors.ts';

function parse(argv: string[]): Config {
  const parsed = parseCommandLine(argv, {});
  assert.equal(parsed.kind, 'run');
  return (parsed as { config: Config }).config;
}

function parseError(argv: string[]): ConfigError {
  try {
    parseCommandLine(argv, {});
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${argv.join(' ')} to be rejected`);
}

describe('boolean flags', () => {
  it('accept =false and =true in any case', () => {
    assert.equal(parse(['install', '--keep-on-uninstall=false']).keepOnUninstall, false);
    assert.equal(parse(['install', '--keep-on-uninstall=FALSE']).keepOnUninstall, false);
    assert.equal(parse(['install', '--skip-if-exists=true']).skipIfExists, true);
    assert.equal(parse(['install', '--skip-if-exists=True']).skipIfExists, true);
  });

  it('still accept --no-NAME and the bare flag', () => {
    assert.equal(parse(['install', '--no-keep-on-uninstall']).keepOnUninstall, false);
    assert.equal(parse(['install', '--skip-if-exists']).skipIfExists, true);
  });

  it('keep the last of repeated flags', () => {
    const argv = ['install', '--no-keep-on-uninstall', '--keep-on-uninstall=true'];
    assert.equal(parse(argv).keepOnUninstall, true);
  });

  it('reject other values with option and value', () => {
    const err = parseError(['install', '--keep-on-uninstall=maybe']);
    assert.equal(err.option, '--keep-on-uninstall');
    assert.match(err.message, /"maybe"/);
    assert.match(err.message, /"true" or "false" \(any case\)/);
  });
});

describe('unknown options', () => {
  it('name the option and the command only', () => {
    const err = parseError(['status', '--bogus']);
    assert.equal(err.message, 'unknown option --bogus for command status');
  });

  it('name the option alone without a command', () => {
    assert.equal(parseError(['--bogus']).message, 'unknown option --bogus');
  });

  it('include --no- of a value option', () => {
    assert.equal(parseError(['serve', '--no-port']).message, 'unknown option --no-port for command serve');
  });

  it('include unknown short options', () => {
    assert.equal(parseError(['status', '-x']).message, 'unknown option -x for command status');
  });

  it('include --no-NAME with a value', () => {
    const err = parseError(['install', '--no-skip-if-exists=false']);
    assert.equal(err.message, 'unknown option --no-skip-if-exists for command install');
  });
});

describe('value options', () => {
  it('report a missing value at the end', () => {
    assert.equal(parseError(['serve', '--port']).message, 'option --port needs a value');
  });

  it('report a missing value before another option', () => {
    assert.equal(parseError(['serve', '--port', '--help']).message, 'option --port needs a value');
  });

  it('pass a negative port to the range check', () => {
    const err = parseError(['serve', '--port', '-1']);
    assert.equal(err.option, '--port');
    assert.match(err.message, /"-1"; expected an integer from 0 to 65535/);
  });

  it('pass a negative request timeout to the range check', () => {
    const err = parseError(['status', '--request-timeout', '-5']);
    assert.match(err.message, /"-5"; expected an integer from 100 to 600000/);
  });

  it('take a value that starts with a dash after =', () => {
    assert.equal(parse(['status', '--bundle=-crds']).bundle, '-crds');
  });
});

describe('commandNamedIn', () => {
  it('finds the command after options', () => {
    assert.equal(commandNamedIn(['--bogus', 'status']), 'status');
  });

  it('skips the value of an option', () => {
    assert.equal(commandNamedIn(['--bundle', 'status', 'install']), 'install');
  });

  it('returns undefined for an unknown command', () => {
    assert.equal(commandNamedIn(['deploy', '--bogus']), undefined);
  });
});
