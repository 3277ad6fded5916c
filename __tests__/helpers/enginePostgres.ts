// Test files of the "postgres" project run on their own PostgreSQL database (FUHE_TEST_PG_URL).
process.env.FUHE_TEST_ENGINE = 'postgres';
