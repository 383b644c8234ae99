// Validates an OpenAPI document (file path in argv[2]) with @seriousme/openapi-schema-validator,
// an ES module that reads its schemas relative to import.meta.url, so it runs here in plain Node.
import { Validator } from '@seriousme/openapi-schema-validator';
import { readFile } from 'node:fs/promises';

const document = JSON.parse(await readFile(process.argv[2], 'utf8'));
const validator = new Validator();
const result = await validator.validate(document);
process.stdout.write(
  JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }),
);
