// Lint with typescript-eslint's recommended rules; `any` is an error everywhere.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The demo page's script runs in the browser, as a classic script.
  {
    files: ['demo/public/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', fetch: 'readonly', crypto: 'readonly', btoa: 'readonly', TextEncoder: 'readonly', URL: 'readonly', location: 'readonly' } },
  },
);
