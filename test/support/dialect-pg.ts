process.env.IB_TEST_DIALECT = 'pg';
