// Lint: TypeScript rules, plus the house's layers as import zones (a wrong arrow fails lint):
// - only main/app/** and preload/** import values from 'electron' (type-only imports are fine);
// - main/{pki,login,guide,policy,keystores,bridge} never import main/{assistant,app,cli};
// - main/assistant never imports main/app; common/ imports nothing; renderer/ imports only common/;
// - raw ipcRenderer.invoke only inside the typed wrapper (preload/ipc/invoke.ts);
// - the reference portal (examples/reference-portal) imports Cert Assistant only as an operator
//   installs it (`cert-assistant/verifier`, `cert-assistant/uscc`); its tests reach the repository
//   only through test/support/portal-kit.ts (test PKI, tokens made the assistant's way).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronValues = { name: 'electron', message: 'Only main/app/** and preload/** may import values from electron (use `import type`).', allowTypeImports: true };

/** One no-restricted-imports rule per zone (ESLint replaces, not merges, a rule's options between blocks). */
function zone({ electron = true, forbid = [] }) {
  return {
    'no-restricted-imports': ['error', {
      paths: electron ? [electronValues] : [],
      patterns: forbid.map(([regex, message]) => ({ regex, message })),
    }],
  };
}

const UPPER_ROOMS = ['(^|/)(assistant|app|cli)(/|$)', 'pki, login, guide, policy, keystores and bridge are below main/assistant, main/app and main/cli: pass what you need in as arguments.'];
const APP_ROOM = ['(^|/)app(/|$)', 'main/assistant is Electron-free and below main/app: main/app imports assistant, never the reverse.'];
const OUTSIDE_COMMON = ['^(?!\\./)', 'common/ is the contract room every runtime reads: it imports nothing.'];
/** For a file `depth` folders below renderer/: climbing out of renderer/ may only reach common/. */
const outsideRenderer = (depth) => [`^(\\.\\./){${depth + 1}}(?!common/)|^(\\.\\./){${depth + 2},}`, 'renderer/ reads only common/ (the IPC contract); everything else comes over IPC.'];

const PORTAL_OUTSIDE = ['^\\.\\./', 'The reference portal is its own package: import Cert Assistant as `cert-assistant/verifier` or `cert-assistant/uscc`, never by path.'];
const PORTAL_TEST_OUTSIDE = ['^\\.\\./\\.\\./(?!\\.\\./test/support/portal-kit\\.ts$)', 'Portal tests reach the repository only through test/support/portal-kit.ts.'];

export default tseslint.config(
  { ignores: ['node_modules/**', '**/node_modules/**', 'dist/**', 'out/**', 'release/**', 'test/fixtures/generated/**', '.cache/**', 'renderer/dist/**'] },
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
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.object.name='ipcRenderer'][callee.property.name='invoke']",
        message: 'Send IPC requests through the typed wrapper preload/ipc/invoke.ts (invokeChannel), so a channel and its payload are checked against common/ipc-contract.ts.',
      }],
    },
  },
  { files: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.js', '**/*.mjs'], ignores: ['main/app/**', 'preload/**'], rules: zone({}) },
  { files: ['main/{pki,login,guide,policy,keystores,bridge}/**'], rules: zone({ forbid: [UPPER_ROOMS] }) },
  { files: ['main/assistant/**'], rules: zone({ forbid: [APP_ROOM] }) },
  { files: ['common/**'], rules: zone({ forbid: [OUTSIDE_COMMON] }) },
  { files: ['examples/reference-portal/*.ts'], rules: zone({ forbid: [PORTAL_OUTSIDE] }) },
  { files: ['examples/reference-portal/test/**'], rules: zone({ forbid: [PORTAL_TEST_OUTSIDE] }) },
  { files: ['renderer/*'], rules: zone({ forbid: [outsideRenderer(0)] }) },
  { files: ['renderer/*/*'], rules: zone({ forbid: [outsideRenderer(1)] }) },
  { files: ['renderer/*/*/**'], rules: zone({ forbid: [outsideRenderer(2)] }) },
);
