import { join } from 'node:path';

/**
 * With SIGHTLINE_TEST_REPORT_DIR set (CI does), each suite also writes a JSON report there, so
 * `.ci/run` can run the README's `npm test` unchanged and still print one summary line.
 */
export function jsonReport(name: string): { reporters?: string[]; outputFile?: { json: string } } {
  const dir = process.env.SIGHTLINE_TEST_REPORT_DIR;
  return dir
    ? { reporters: ['default', 'json'], outputFile: { json: join(dir, `${name}.json`) } }
    : {};
}
