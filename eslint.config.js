// Lint rules, including the architecture: inner folders never import outer ones or
// protocol libraries (the cheapest architecture test).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const PROTOCOL_LIBRARIES = ['express', 'passport', 'scimmy', '@node-saml/*', 'openid-client', 'pino-http', 'helmet'];

function restrict(folders, extra = []) {
  return {
    patterns: [
      ...folders.map((f) => ({
        group: [`**/${f}/*`, `../${f}/*`],
        message: `this folder must not depend on src/${f}`,
      })),
      { group: [...PROTOCOL_LIBRARIES, ...extra], message: 'protocol libraries belong in adapters (http, scim, sso)' },
    ],
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'only src/config reads process.env',
        },
      ],
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        restrict(
          ['store', 'http', 'scim', 'sso', 'admin', 'cli', 'directory', 'access', 'audit', 'telemetry'],
          ['knex', 'pg', 'better-sqlite3'],
        ),
      ],
    },
  },
  {
    files: ['src/access/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', restrict(['http', 'scim', 'sso', 'admin', 'cli'])] },
  },
  {
    files: ['src/directory/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', restrict(['http', 'scim', 'sso', 'admin', 'cli'])] },
  },
  {
    files: ['src/store/**/*.ts', 'src/audit/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', restrict(['http', 'scim', 'sso', 'admin', 'cli', 'access', 'directory'])],
    },
  },
  {
    // Entry points hand process.env to loadConfig.
    files: [
      'src/config/**/*.ts',
      'src/main.ts',
      'src/cli/main.ts',
      'test/**/*.ts',
      'bench/**/*.ts',
      'eslint.config.js',
      'jest.config.js',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
