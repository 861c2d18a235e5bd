// What the indexing states are called on screen (the strip and the Indexing panel say the same).
import type { IndexingState } from '../../src-main/shared/contract.ts';

export const INDEXING_STATE_TEXT: Readonly<Record<IndexingState, string>> = {
  idle: 'Not running',
  starting: 'Loading the models',
  running: 'Running',
  paused: 'Paused',
  cancelling: 'Stopping after this batch',
};
