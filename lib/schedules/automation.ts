// The Runtime's port for starts without a caller: a scheduler and the automation items.
import type { Principal } from '../auth/token';
import type { TableRef } from '../store/table';
import { automationRepo, type AutomationRepo } from './automation-repo';
import type { Scheduler } from './scheduler';

export interface Automation {
  scheduler: Scheduler;
  repo: AutomationRepo;
}

export function createAutomation(table: TableRef, scheduler: Scheduler): Automation {
  return { scheduler, repo: automationRepo(table) };
}

/** Who a start without a token acts as: it names the scheduler or the event source (`creation-user`). */
export function systemPrincipal(subject: string, project: string): Principal {
  return { subject, projects: [project], permissions: new Set() };
}
