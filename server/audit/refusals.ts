import { Database } from '../data/database';
import { Logger } from '../logger';
import { appendAudit, AuditContext, AuditEvent } from './repository';

/**
 * Refusals (a rejected token, an anonymous API call, a CSRF failure, a 403, a throttled login)
 * are audited without letting anyone fill the append-only log: the first refusal of a kind from
 * one source in a window is written at once; the rest of that window are counted and written as
 * one entry with their count when the window closes.
 *
 * Anonymous refusals also limit their address: past `limitPerWindow` in a window, what would be
 * refused from it (a rejected token, an anonymous API call) is answered 429 instead (`blocked`)
 * until the window ends. Signed-in users and valid tokens from the same address (an office
 * behind one NAT) are not affected.
 *
 * The counts live in this process: with several instances, each keeps and reports its own.
 */

export interface RefusalRecorderOptions {
  db: Database;
  now: () => Date;
  logger?: Logger;
  windowMs: number;
  limitPerWindow: number;
}

interface Burst {
  startedAt: Date;
  lastAt: Date;
  /** Refusals after the first, which was written when it happened. */
  more: number;
  context: AuditContext;
  event: AuditEvent;
}

interface AddressCount {
  startedAt: number;
  count: number;
}

export function refusalRecorder({ db, now, logger, windowMs, limitPerWindow }: RefusalRecorderOptions) {
  const bursts = new Map<string, Burst>();
  const addresses = new Map<string, AddressCount>();

  /**
   * What makes refusals the same: for a signed-in user, the same refusal (action and detail, so
   * that each different object tried is still recorded); for an anonymous caller, any refusal
   * of that kind from the address.
   */
  const keyOf = (context: AuditContext, event: AuditEvent) =>
    context.actor
      ? `${event.action}|user:${context.actor.id}|${event.detail ?? ''}`
      : `${event.action}|ip:${context.ip ?? '-'}`;

  async function writeSummary(burst: Burst): Promise<void> {
    if (burst.more === 0) return;
    await appendAudit(
      db,
      burst.context,
      {
        ...burst.event,
        detail:
          `${burst.event.detail ?? ''}（同一来源在此后${Math.round(windowMs / 1000)}秒内又有${burst.more}次，合并记录）`.slice(
            0,
            2000,
          ),
        after: { repeated: burst.more, from: burst.startedAt.toISOString(), to: burst.lastAt.toISOString() },
      },
      burst.lastAt,
    );
  }

  /** Writes the counts of every window that has closed. */
  async function flush(all = false): Promise<void> {
    const at = now().getTime();
    for (const [key, burst] of bursts) {
      if (!all && at - burst.startedAt.getTime() < windowMs) continue;
      bursts.delete(key);
      try {
        await writeSummary(burst);
      } catch (err) {
        logger?.error('audit summary not written', { err, action: burst.event.action });
      }
    }
    for (const [address, count] of addresses) if (at - count.startedAt >= windowMs) addresses.delete(address);
  }

  const timer = setInterval(() => void flush(), Math.min(windowMs, 10_000));
  timer.unref();

  return {
    /** Audits a refusal: written now if it is the first of its window, counted otherwise. */
    async record(context: AuditContext, event: AuditEvent): Promise<void> {
      const at = now();
      const key = keyOf(context, event);
      const burst = bursts.get(key);
      if (burst && at.getTime() - burst.startedAt.getTime() < windowMs) {
        burst.more += 1;
        burst.lastAt = at;
        burst.event = event;
        return;
      }
      if (burst) {
        bursts.delete(key);
        await writeSummary(burst);
      }
      bursts.set(key, { startedAt: at, lastAt: at, more: 0, context, event });
      await appendAudit(db, context, event, at);
    },

    /** Counts an anonymous refusal against its address. */
    hit(address: string | undefined): void {
      const at = now().getTime();
      const key = address ?? '-';
      const count = addresses.get(key);
      if (!count || at - count.startedAt >= windowMs) addresses.set(key, { startedAt: at, count: 1 });
      else count.count += 1;
    },

    /** Whether requests without a session from this address are refused for now. */
    blocked(address: string | undefined): boolean {
      const count = addresses.get(address ?? '-');
      return !!count && now().getTime() - count.startedAt < windowMs && count.count >= limitPerWindow;
    },

    /** Writes the counts of the windows that have closed (the timer does this every few seconds). */
    flush: () => flush(),

    /** Writes what is still counted (at shutdown) and stops the timer. */
    async close(): Promise<void> {
      clearInterval(timer);
      await flush(true);
    },
  };
}

export type RefusalRecorder = ReturnType<typeof refusalRecorder>;
