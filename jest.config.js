// Three projects: fast unit tests, and one integration suite run once per dialect.
// Each integration test file gets its own database (PostgreSQL: cloned from a migrated
// template; SQLite: its own file), so files run in parallel.
import fs from 'node:fs';

const swc = JSON.parse(fs.readFileSync(new URL('./.swcrc.jest.json', import.meta.url), 'utf8'));

const shared = {
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { ...swc, swcrc: false }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // openid-client and its dependencies ship only ES modules: compile them like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(openid-client|oauth4webapi|jose)/)'],
  testEnvironment: 'node',
};

export default {
  maxWorkers: 2,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/unit-timeout.ts'],
    },
    {
      ...shared,
      displayName: 'integration:sqlite',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // test/integration/pg holds behaviour only PostgreSQL has (a database over the network that can go away).
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/pg/'],
      setupFiles: ['<rootDir>/test/support/dialect-sqlite.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
    {
      ...shared,
      displayName: 'integration:pg',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // test/integration/sqlite holds behaviour only the embedded database has (one writer per file).
      // The walk of every console screen at three widths (layout and accessibility of the pages)
      // runs once, on SQLite: the pages are the same on either database, whose API behind them
      // is tested on both.
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/integration/sqlite/',
        '<rootDir>/test/integration/console-screens.test.ts',
      ],
      setupFiles: ['<rootDir>/test/support/dialect-pg.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
      // Names this run (teardown drops only its databases) and starts a throwaway PostgreSQL when none answers.
      globalSetup: '<rootDir>/test/support/pg-global-setup.ts',
      globalTeardown: '<rootDir>/test/support/pg-global-teardown.ts',
    },
    // `npm run test:fleet`: the fleet drill (PgBouncer, HAProxy, a PostgreSQL of its own).
    {
      ...shared,
      displayName: 'fleet',
      testMatch: ['<rootDir>/test/fleet/**/*.test.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
};
