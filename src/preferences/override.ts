import type { Task } from 'fhir/r4';
import { SERVER_CONTEXT, type FhirService } from '../fhir/service.js';
import { TASK_TYPE_SYSTEM } from '../notifications/runs.js';
import type { ProgrammeCode } from '../cohort/programmes.js';
import { inForce, PREFERENCE_OVERRIDE } from './override-task.js';

/** How long the overrides in force are remembered before they are read again. */
const OVERRIDES_TTL_MS = 30_000;

/**
 * Overrides on compelling grounds (a worsening pandemic, say): programme staff create a Task coded
 * `preference-override` (in-progress, the programme as input, a dated executionPeriod, the reason), and
 * while it is in force cohorts and runs for that programme leave people's invitation preferences aside.
 * The Task is audited like every write; ending it (completed, cancelled) ends the override.
 */
export class PreferenceOverrides {
  private tasks: Promise<Task[]> | undefined;
  private readAt = 0;

  constructor(private readonly service: FhirService) {}

  /** The override in force for a programme at a moment, if there is one. */
  async inForce(programme: ProgrammeCode, at: Date): Promise<Task | undefined> {
    if (!this.tasks || Date.now() - this.readAt > OVERRIDES_TTL_MS) {
      this.readAt = Date.now();
      this.tasks = this.read().catch((error: unknown) => {
        this.tasks = undefined;
        throw error;
      });
    }
    return (await this.tasks).find((task) => inForce(task, programme, at));
  }

  /** Reads them again at once (after staff changed one). */
  forget(): void {
    this.tasks = undefined;
  }

  private async read(): Promise<Task[]> {
    const { sources } = await this.service.search(
      'Task',
      [
        ['code', `${TASK_TYPE_SYSTEM}|${PREFERENCE_OVERRIDE}`],
        ['status', 'in-progress'],
      ],
      SERVER_CONTEXT,
    );
    return sources as Task[];
  }
}
