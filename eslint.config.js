// Lint rules, including the architecture (the cheapest architecture test): every folder of
// src/ names the folders it may import, and the libraries that belong to an adapter stay in
// it. The table below is the picture in the README's architecture section.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Each folder of src/ and the folders it may import (besides itself). */
const LAYERS = {
  domain: [],
  outbound: ['domain'],
  config: ['domain', 'outbound'],
  access: ['domain'],
  telemetry: ['domain', 'config'],
  store: ['domain', 'config', 'telemetry'],
  audit: ['domain', 'store'],
  limits: ['domain', 'store'],
  decisions: ['domain', 'access', 'store', 'telemetry'],
  directory: ['domain', 'access', 'store', 'audit', 'telemetry'],
  sso: ['domain', 'config', 'outbound', 'access', 'telemetry', 'store', 'audit', 'decisions', 'directory'],
  admin: ['domain', 'outbound', 'access', 'telemetry', 'store', 'audit', 'decisions', 'directory', 'sso', 'google'],
  // Google's Directory API as a directory source (a protocol adapter the sync is handed).
  google: ['domain'],
  // Adapters: they reach the database only through the services.
  http: ['domain', 'config', 'telemetry', 'limits', 'decisions', 'sso', 'admin'],
  scim: ['domain', 'telemetry', 'limits', 'audit', 'directory', 'admin', 'http'],
  'admin-api': ['domain', 'access', 'telemetry', 'audit', 'decisions', 'sso', 'admin', 'http'],
  // Entry points: the command line opens the database as the server does, and uses the services.
  cli: ['domain', 'config', 'store', 'audit', 'admin', 'sso'],
};
const FOLDERS = Object.keys(LAYERS);

/** Libraries that belong to one part: outside it, an import of one is an error. */
const LIBRARIES = {
  express: ['http', 'scim', 'admin-api', 'app'],
  helmet: ['app'],
  scimmy: ['scim'],
  'scim2-parse-filter': ['scim'],
  '@node-saml/*': ['sso'],
  'openid-client': ['sso'],
  '@googleapis/*': ['google'],
  'google-auth-library': ['google'],
  knex: ['store'],
  pg: ['store'],
  'better-sqlite3': ['store'],
  commander: ['cli'],
  undici: ['outbound'],
  pino: ['telemetry'],
  'prom-client': ['telemetry'],
};

/** The no-restricted-imports rule of one part of src/ ('app' and 'root' are the files at its top). */
function rule(part, forbiddenFolders) {
  const libraries = Object.entries(LIBRARIES)
    .filter(([, owners]) => !owners.includes(part))
    .map(([library]) => library);
  return [
    'error',
    {
      patterns: [
        ...forbiddenFolders.map((f) => ({
          group: [`**/${f}/*`, `**/${f}/**`, `../${f}/*`, `./${f}/*`],
          message: `src/${part === 'root' || part === 'app' ? '' : `${part}/`} must not depend on src/${f} (see the layers in eslint.config.js)`,
        })),
        ...(libraries.length
          ? [{ group: libraries, message: 'this library belongs to another part of src/ (see LIBRARIES)' }]
          : []),
      ],
    },
  ];
}

const layerRules = FOLDERS.map((folder) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': rule(
      folder,
      FOLDERS.filter((f) => f !== folder && !LAYERS[folder].includes(f)),
    ),
  },
}));

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
  ...layerRules,
  {
    // Sign-in state lives in the database (any instance may receive the next step), never in a module.
    files: ['src/sso/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'only src/config reads process.env',
        },
        {
          selector:
            'Program > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Weak)?(Map|Set)$/]',
          message: 'no module-level state in sso/: keep what a sign-in step needs in the database or pass it along',
        },
      ],
    },
  },
  {
    // The composition root builds services and never reaches into an adapter or the CLI.
    files: ['src/services.ts'],
    rules: { 'no-restricted-imports': rule('root', ['http', 'scim', 'admin-api', 'cli']) },
  },
  {
    // The app assembles the adapters from the services: no repository, no command line.
    files: ['src/app.ts'],
    rules: { 'no-restricted-imports': rule('app', ['store', 'cli']) },
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
