import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'data/',
      'dist/',
      'scratch/',
      'test-artifacts/',
      '.bench-results/',
      '.bench-cache/',
      'dashboards/**/vendor/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The dashboard's browser modules (plain ES modules served as they are).
    files: ['dashboards/web/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'document',
          'window',
          'location',
          'history',
          'performance',
          'fetch',
          'EventSource',
          'URL',
          'URLSearchParams',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'console',
          'Intl',
          'navigator',
          'HTMLElement',
          'Event',
          'CustomEvent',
          'requestAnimationFrame',
          'ResizeObserver',
          'Blob',
          'localStorage',
        ].map((g) => [g, 'readonly']),
      ),
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
);
