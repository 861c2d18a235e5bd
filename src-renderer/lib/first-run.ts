// The guided first run: choose folders → set up models → indexing starts by itself. Pure rules
// so the shell and the tests agree on who sees it and which step comes next.
import type { LibraryRoot, ModelStatus } from '../../src-main/shared/contract.ts';

export type FirstRunStep = 'folders' | 'models' | 'indexing';

/** Both roles (captions and search) have a finished conversion in place. */
export function modelsReady(status: ModelStatus): boolean {
  return status.caption.ready && status.search.ready;
}

/** A returning user (folders chosen, models ready) skips the first run. */
export function needsFirstRun(roots: readonly LibraryRoot[], models: ModelStatus): boolean {
  return roots.length === 0 || !modelsReady(models);
}

/**
 * The step to show. Folders stay on screen until the user says they are done (several may be
 * added); after that the models step is skipped when they are ready already.
 */
export function firstRunStep(
  roots: readonly LibraryRoot[],
  models: ModelStatus | null,
  foldersConfirmed: boolean,
): FirstRunStep {
  if (roots.length === 0 || !foldersConfirmed) return 'folders';
  if (models === null || !modelsReady(models)) return 'models';
  return 'indexing';
}

/** Default catalog models still to set up (not converted, not being set up right now). */
export function defaultModelsToSetUp(models: ModelStatus): string[] {
  return models.models
    .filter((model) => model.isDefault && model.state !== 'converted' && model.setup !== 'running')
    .map((model) => model.name);
}
