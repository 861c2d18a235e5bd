// The one line per role the Models screen shows once setup is done: is it ready, which execution
// provider runs it (or will be tried), and about how much memory it needs.
import type { ModelStatus } from '../../src-main/shared/contract.ts';
import { formatBytes } from './format.ts';

type RoleStatus = ModelStatus['caption'];

export function roleSummary(label: string, role: RoleStatus): string {
  if (!role.ready) return `${label}: not installed`;
  const runsOn =
    role.providers.length > 0
      ? `runs on ${role.providers.join(' + ')}`
      : `will try ${role.preferredProviders.join(' → ')}`;
  const memory = `needs about ${formatBytes(role.weightBytes)} of memory`;
  const note = role.providerNote === null ? '' : ` (${role.providerNote})`;
  return `${label}: ready · ${runsOn}${note} · ${memory}`;
}
