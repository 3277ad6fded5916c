// Test files of the "sqlite" project run on a copy of the golden SQLite file.
process.env.FUHE_TEST_ENGINE = 'sqlite';
