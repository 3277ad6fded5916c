/** Unit and integration tests run here; every test file gets its own copy of a database
 * migrated once in globalSetup (see __tests__/helpers/globalSetup.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  globalSetup: '<rootDir>/__tests__/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/__tests__/helpers/globalTeardown.ts',
  testTimeout: 30000,
};
