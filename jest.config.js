/**
 * `npm test`: every test on SQLite (unit, integration over HTTP against a real database file,
 * browser). With FUHE_TEST_PG_URL (a PostgreSQL role that may create databases) the integration
 * tests run a second time on PostgreSQL, each test file in its own database. Both engines'
 * databases are migrated once in globalSetup and copied per test file.
 */
const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  globalSetup: '<rootDir>/__tests__/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/__tests__/helpers/globalTeardown.ts',
};

const projects = [
  {
    ...base,
    displayName: 'sqlite',
    testMatch: ['**/*.test.ts'],
    setupFiles: ['<rootDir>/__tests__/helpers/engineSqlite.ts'],
  },
];
if (process.env.FUHE_TEST_PG_URL) {
  projects.push({
    ...base,
    displayName: 'postgres',
    testMatch: ['**/integration/**/*.test.ts'],
    testPathIgnorePatterns: ['/sqliteEngine[.]test[.]ts$'],
    setupFiles: ['<rootDir>/__tests__/helpers/enginePostgres.ts'],
  });
} else if (!process.env.JEST_WORKER_ID) {
  process.stderr.write(
    '\n[postgres] FUHE_TEST_PG_URL is not set: the PostgreSQL run of the integration tests is skipped (see README, "Running for a province").\n\n',
  );
}

module.exports = {
  projects,
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/__tests__/helpers/engineSummary.js'],
};
