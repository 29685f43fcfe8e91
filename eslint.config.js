// Lint: TypeScript rules, plus the house rule that only main/app/** and preload/** import
// values from 'electron' (type-only imports are fine everywhere).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronOnlyInShell = {
  'no-restricted-imports': ['error', {
    paths: [{ name: 'electron', message: 'Only main/app/** and preload/** may import values from electron (use `import type`).', allowTypeImports: true }],
  }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', 'test/fixtures/generated/**', '.cache/**', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', globalThis: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', window: 'readonly', document: 'readonly', fetch: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  { files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.js', '**/*.mjs'], ignores: ['main/app/**', 'preload/**'], rules: electronOnlyInShell },
);
