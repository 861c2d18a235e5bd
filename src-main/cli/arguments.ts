import { InvalidArgumentError } from 'commander';
import { isPrecision, type Precision } from '../../native-models/builder/precision.ts';

/** Option parsers shared by the commands: each names what it expected. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0');
  return n;
}

/** A comma list of precisions (`fp32,int8,int4`), each one of PRECISIONS. */
export function precisionList(value: string): Precision[] {
  const list = value.split(',').map((s) => s.trim());
  const bad = list.filter((p) => !isPrecision(p));
  if (bad.length > 0 || list.length === 0)
    throw new InvalidArgumentError(`unknown precision(s) ${bad.join(', ')}`);
  return list as Precision[];
}
