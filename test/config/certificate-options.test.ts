import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine, type Config } from '../../src/config/parse.ts';
import { ConfigError } from '../../src/errors.ts';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const parsed = parseCommandLine(argv, env);
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

describe('certificate options', () => {
  it('default to 7 days, 365 days and 67%', () => {
    const config = parse(['serve']);
    assert.equal(config.servingCertValidityMs, 7 * 24 * 3600 * 1000);
    assert.equal(config.caValidityMs, 365 * 24 * 3600 * 1000);
    assert.equal(config.certRenewalFraction, 0.67);
  });

  it('read seconds and a percent', () => {
    const config = parse([
      'serve',
      '--serving-cert-validity=20',
      '--ca-validity=60',
      '--cert-renewal-percent=50',
    ]);
    assert.equal(config.servingCertValidityMs, 20_000);
    assert.equal(config.caValidityMs, 60_000);
    assert.equal(config.certRenewalFraction, 0.5);
  });

  it('read environment variables', () => {
    const config = parse(['serve'], {
      INFERENCE_CRDS_SERVING_CERT_VALIDITY: '3600',
      INFERENCE_CRDS_CA_VALIDITY: '7200',
    });
    assert.equal(config.servingCertValidityMs, 3_600_000);
    assert.equal(config.caValidityMs, 7_200_000);
  });

  it('reject a CA that expires before its serving certificates', () => {
    const err = parseError(['serve', '--serving-cert-validity=3600', '--ca-validity=60']);
    assert.equal(err.option, '--ca-validity');
    assert.match(err.message, /at least --serving-cert-validity \(3600 s\)/);
  });

  it('reject a renewal percent outside 10 to 90', () => {
    const err = parseError(['serve', '--cert-renewal-percent=95']);
    assert.match(err.message, /an integer from 10 to 90/);
  });

  it('reject a serving validity below 10 seconds', () => {
    const err = parseError(['serve', '--serving-cert-validity=5']);
    assert.match(err.message, /--serving-cert-validity/);
  });
});

describe('lookup timeout with --webhook-url', () => {
  it('must stay below the webhook timeout', () => {
    const err = parseError([
      'serve',
      '--webhook-url=https://127.0.0.1:9443/validate',
      '--lookup-timeout=10000',
    ]);
    assert.equal(err.option, '--lookup-timeout');
    assert.match(err.message, /less than 10000 ms/);
  });

  it('accepts a lookup timeout below it', () => {
    const config = parse([
      'serve',
      '--webhook-url=https://127.0.0.1:9443/validate',
      '--lookup-timeout=9999',
    ]);
    assert.equal(config.lookupTimeoutMs, 9999);
  });
});
