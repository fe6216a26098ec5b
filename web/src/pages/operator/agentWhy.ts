// Why a route agent is not up to date (the hosts page's agent table), from GET /api/v1/agents.
import type { TFunction } from 'i18next';
import type { Schemas } from '../../api/client';
import { fmtTime } from '../../components/format';

type Agent = Pick<Schemas['AgentStatusDto'], 'tokenIssued' | 'lastCheckInAt' | 'lastError' | 'appliedVersion' | 'desiredVersion'>;

/** Why an agent's routes are not up to date, most basic cause first. */
export function agentWhy(a: Agent, t: TFunction): string {
  if (!a.tokenIssued) return t('op.agentWhy.noToken');
  if (!a.lastCheckInAt) return t('op.agentWhy.neverCheckedIn');
  if (a.lastError) return t('op.agentWhy.error', { error: a.lastError });
  return t('op.agentWhy.behind', { applied: a.appliedVersion ?? '-', desired: a.desiredVersion, at: fmtTime(a.lastCheckInAt) });
}
