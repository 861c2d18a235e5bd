import { Option } from 'commander';
import { PRECISIONS } from '../../native-models/builder/precision.ts';

/** `--precision`, shared by `models convert` and `models pull`. */
export function precisionOption(): Option {
  return new Option(
    '--precision <p>',
    'weights and compute: fp32 (exact), fp16 (GPU), int8, int4 (int4 language model + int8 vision); auto = int4 on CPU, fp16 on a GPU provider',
  )
    .choices(['auto', ...PRECISIONS])
    .default('auto');
}
