// Help texts that every command showing them must be true for.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderHelp } from '../../src/config/help.ts';
import { commands, optionSpecs } from '../../src/config/options.ts';

function optionHelp(command: (typeof commands)[number], flag: string): string {
  const text = renderHelp(command);
  const start = text.indexOf(`  --${flag}`);
  assert.notEqual(start, -1, `--${flag} missing from ${command} help`);
  const end = text.indexOf('\n  --', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

describe('renderHelp option texts', () => {
  it('describe --bundle without install wording', () => {
    for (const command of commands) {
      assert.match(optionHelp(command, 'bundle'), /CRD YAML to use instead of the built-in/);
    }
  });

  it('describe --connect-timeout without startup', () => {
    assert.doesNotMatch(optionHelp('status', 'connect-timeout'), /startup/);
  });

  it('describe --request-timeout for every command', () => {
    assert.doesNotMatch(optionHelp('uninstall', 'request-timeout'), /installer|status command/);
  });

  it('tell how to turn each boolean off', () => {
    for (const spec of optionSpecs.filter((option) => option.kind === 'boolean')) {
      const text = optionHelp(spec.commands[0], spec.flag);
      assert.ok(text.includes(`--no-${spec.flag} or --${spec.flag}=false`), text);
    }
  });
});

describe('renderHelp uninstall', () => {
  it('shows --yes without an environment variable', () => {
    assert.doesNotMatch(optionHelp('uninstall', 'yes'), /env:/);
  });

  it('says uninstall needs --yes and turns off the guard', () => {
    const text = renderHelp();
    assert.match(text, /Needs --yes/);
    assert.match(text, /turns off their deletion guard/);
  });

  it('keeps --yes out of other commands', () => {
    assert.doesNotMatch(renderHelp('install'), /--yes/);
  });
});
