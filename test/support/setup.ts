// Runs before every test file.
// Executor INFO lines would drown the test report; warnings and errors still show.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
