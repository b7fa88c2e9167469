import { optionSpecs, type Command } from './options.ts';

const summaries: Record<Command, string> = {
  serve: 'Install the CRD bundle, then serve the deletion-guard webhook over HTTPS until SIGTERM.',
  install: 'Install the CRD bundle once and exit. Exit code 0 only when every CRD is in place.',
  status: 'Print a table of the bundle\'s CRDs as installed in the cluster.',
  uninstall:
    'Delete the bundle\'s CRDs that this product installed, and every object of their kinds. ' +
    'Needs --yes, and sets keep-on-uninstall to "false" on those CRDs, which turns off ' +
    'their deletion guard. --keep-crds keeps them.',
};

type Spec = (typeof optionSpecs)[number];

function offText(spec: Spec): string {
  if (spec.kind !== 'boolean') return '';
  return ` Turn off with --no-${spec.flag} or --${spec.flag}=false.`;
}

function formatOption(spec: Spec): string {
  const value = spec.kind === 'boolean' ? '' : ' VALUE';
  const defaultText = 'default' in spec ? ` (default: ${spec.default})` : '';
  const values = 'values' in spec ? ` One of: ${spec.values.join(', ')}.` : '';
  const env = 'env' in spec ? `\n      env: ${spec.env}` : '';
  return `  --${spec.flag}${value}\n      ${spec.help}${values}${offText(spec)}${defaultText}${env}`;
}

/** Renders --help for one command, or the overview when none is given. */
export function renderHelp(command?: Command): string {
  if (command === undefined) {
    const lines = Object.entries(summaries).map(([name, summary]) => `  ${name.padEnd(11)}${summary}`);
    return [
      'Usage: inference-extension-crds COMMAND [options]',
      '',
      'Installs the Gateway API Inference Extension CRDs and guards them against deletion.',
      '',
      'Commands:',
      ...lines,
      '',
      'Run "inference-extension-crds COMMAND --help" for the options of a command.',
      'Flags beat environment variables, which beat defaults.',
      'Boolean flags take --no-NAME or --NAME=false to turn them off.',
      '',
    ].join('\n');
  }
  const options = optionSpecs.filter((spec) => (spec.commands as readonly string[]).includes(command));
  return [
    `Usage: inference-extension-crds ${command} [options]`,
    '',
    summaries[command],
    '',
    'Options:',
    ...options.map(formatOption),
    '  --help, -h\n      Print this help.',
    '',
  ].join('\n');
}
