// Runs before every test file: tests never read a developer's real .ferry/ data.
process.env.FERRY_DATA_DIR ??= '';
