import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'certs/', 'deploy/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Command-line front ends and scripts write to the terminal on purpose.
    files: ['src/cli/**', 'scripts/**', 'test/controlplane/cli.ts', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
