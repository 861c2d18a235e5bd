// Run by decode-pool.test.ts as `node --import tsx pool-under-tsx.ts <photo> <thumbnailDir>
// <preprocessorDir>`: proves the pool's workers start when the app runs TypeScript through tsx
// (not only inside vitest). Prints the result as JSON.
import { loadPreprocessorConfig } from '../../../../src-main/engine/image/preprocess.ts';
import { DecodePool } from '../../../../src-main/library/media/decode-pool.ts';

const [photo, thumbnailDir, preprocessorDir] = process.argv.slice(2);
if (!photo || !thumbnailDir || !preprocessorDir)
  throw new Error('usage: <photo> <thumbs> <config>');
const pool = new DecodePool({ size: 1 });
const result = await pool.process({
  path: photo,
  preprocessor: await loadPreprocessorConfig(preprocessorDir),
  thumbnailDir,
  maxPixels: 100_000_000,
});
await pool.close();
process.stdout.write(
  JSON.stringify(result.ok ? { ...result, pixelValues: Array.from(result.pixelValues) } : result),
);
