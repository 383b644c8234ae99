import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('loadConfig', () => {
  it('defaults to a SQLite file under ./data, port 8080 and a localhost public URL', () => {
    const config = loadConfig({});
    expect(config.database).toEqual({
      client: 'sqlite',
      filename: path.resolve('./data/identity-bridge.sqlite'),
      statementTimeoutMs: 24_000,
    });
    expect(config.port).toBe(8080);
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(config.logLevel).toBe('info');
    expect(config.sessionSecret).toBeUndefined();
    expect(config.migrateOnStart).toBe(true);
  });

  it('selects PostgreSQL for a postgres:// or postgresql:// URL, with a separate LISTEN URL when given', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u@db:5432/ib' }).database).toEqual({
      client: 'pg',
      url: 'postgres://u@db:5432/ib',
      poolMax: 10,
      preparedStatements: true,
      listenUrl: 'postgres://u@db:5432/ib',
      statementTimeoutMs: 24_000,
    });
    expect(
      loadConfig({ DATABASE_URL: 'postgres://u@pgbouncer:6432/ib', DATABASE_LISTEN_URL: 'postgres://u@db:5432/ib' })
        .database,
    ).toMatchObject({ url: 'postgres://u@pgbouncer:6432/ib', listenUrl: 'postgres://u@db:5432/ib' });
    expect(() => loadConfig({ DATABASE_LISTEN_URL: 'mysql://x' })).toThrow(
      /DATABASE_LISTEN_URL: must be a postgres:\/\/ URL/,
    );
    expect(
      loadConfig({ DATABASE_URL: 'postgres://u@db:5432/ib', DATABASE_PREPARED_STATEMENTS: 'false' }).database,
    ).toMatchObject({ preparedStatements: false });
    expect(loadConfig({ DATABASE_URL: 'postgresql://u@db/ib', DATABASE_POOL_MAX: '3' }).database).toMatchObject({
      client: 'pg',
      poolMax: 3,
    });
  });

  it('accepts sqlite: and file: prefixes and plain paths for SQLite', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:/tmp/a.sqlite' }).database).toEqual({
      client: 'sqlite',
      filename: '/tmp/a.sqlite',
      statementTimeoutMs: 24_000,
    });
    expect(loadConfig({ DATABASE_URL: 'file:/tmp/b.sqlite' }).database).toEqual({
      client: 'sqlite',
      filename: '/tmp/b.sqlite',
      statementTimeoutMs: 24_000,
    });
    expect(loadConfig({ DATABASE_URL: '/tmp/c.sqlite' }).database).toEqual({
      client: 'sqlite',
      filename: '/tmp/c.sqlite',
      statementTimeoutMs: 24_000,
    });
  });

  it('gives statements a deadline below the request timeout, and refuses one that is not below it', () => {
    expect(loadConfig({}).statementTimeoutMs).toBe(24_000);
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '10000' }).statementTimeoutMs).toBe(8_000);
    expect(loadConfig({ STATEMENT_TIMEOUT_MS: '500' }).database).toMatchObject({ statementTimeoutMs: 500 });
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000', STATEMENT_TIMEOUT_MS: '5000' })).toThrow(
      /STATEMENT_TIMEOUT_MS: must be below REQUEST_TIMEOUT_MS/,
    );
  });

  it('derives PUBLIC_URL from PORT and strips a trailing slash from a given one', () => {
    expect(loadConfig({ PORT: '9000' }).publicUrl).toBe('http://localhost:9000');
    expect(loadConfig({ PUBLIC_URL: 'https://id.example.com/' }).publicUrl).toBe('https://id.example.com');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '' }).port).toBe(8080);
  });

  it('lists every bad key in one error', () => {
    let caught: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://root@localhost/db',
        PORT: 'eighty',
        PUBLIC_URL: 'not a url',
        LOG_LEVEL: 'loud',
        SESSION_SECRET: 'short',
        MIGRATE_ON_START: 'maybe',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const keys = (caught as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'MIGRATE_ON_START', 'PORT', 'PUBLIC_URL', 'SESSION_SECRET']);
    expect((caught as ConfigError).message).toContain('SESSION_SECRET: must be at least 32 characters');
  });

  it('never echoes a secret value in its error', () => {
    expect(() => loadConfig({ SESSION_SECRET: 'hunter2-secret' })).toThrow(ConfigError);
    try {
      loadConfig({ SESSION_SECRET: 'hunter2-secret' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});
