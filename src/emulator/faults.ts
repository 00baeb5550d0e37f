import { z } from 'zod';

/** One rule of the control interface (docs/contracts.md §2). */
export const FaultRuleSchema = z.object({
  route: z.string().min(1),
  method: z.string().optional(),
  times: z.number().int().min(-1).default(1),
  skip: z.number().int().min(0).default(0),
  status: z.number().int().min(100).max(599).optional(),
  body: z.unknown().optional(),
  bodyText: z.string().optional(),
  contentType: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  delayMs: z.number().min(0).max(600_000).optional(),
  /** after-handling: the route runs (and applies) as usual, then the connection closes with no reply. */
  drop: z.enum(['before-headers', 'mid-body', 'after-handling']).optional(),
  futureError: z.object({ error: z.string(), category: z.string().default('system') }).optional(),
  futurePendingPolls: z.number().int().min(0).optional(),
});
export type FaultRuleInput = z.input<typeof FaultRuleSchema>;
export type FaultRule = z.infer<typeof FaultRuleSchema> & { id: string };

/** What a future-creating handler must honour for this request. */
export interface FutureFault {
  error?: { error: string; category: string };
  pendingPolls?: number;
}

export class FaultTable {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(input: z.infer<typeof FaultRuleSchema>): string {
    const id = `fault_${this.nextId++}`;
    this.rules.push({ ...input, id });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  /**
   * The rule that hits this request, consuming one of its `skip` or `times`. A rule still
   * skipping lets the request fall through to later rules, so rules can be layered.
   */
  take(method: string, path: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (!routeMatches(rule.route, path)) continue;
      if (rule.skip > 0) {
        rule.skip--;
        continue;
      }
      if (rule.times > 0) rule.times--;
      if (rule.times === 0) this.rules = this.rules.filter((r) => r !== rule);
      return rule;
    }
    return undefined;
  }

  get size(): number {
    return this.rules.length;
  }
}

function routeMatches(pattern: string, path: string): boolean {
  if (pattern.endsWith('*')) return path.startsWith(pattern.slice(0, -1));
  return pattern === path;
}
