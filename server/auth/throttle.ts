import { AuditContext } from '../audit/repository';
import { RefusalRecorder } from '../audit/refusals';
import { Config } from '../config';
import { Database, writeTransaction } from '../data/database';
import { TooMany } from '../errors';
import {
  clearGuessesForAccount,
  countGuessesForAccount,
  countGuessesForAddress,
  forgetGuess,
  lockGuesses,
  pruneGuesses,
  recordGuess,
} from './throttleRepository';

/**
 * Limits password guesses (sign-in and the current password of the password-change form) per
 * account and per address within a window. The count is taken and raised in one transaction
 * that no other guess can interleave with, before the password hash is checked: however many
 * requests arrive at once, at most the allowed number of passwords is ever checked, and the
 * rest are refused with 429.
 */
export function guessThrottle({
  db,
  config,
  now,
  refusals,
}: {
  db: Database;
  config: Pick<Config, 'loginThrottle'>;
  now: () => Date;
  refusals: RefusalRecorder;
}) {
  const { windowMinutes, maxFailuresPerAccount, maxFailuresPerAddress } = config.loginThrottle;

  return {
    /**
     * Counts a guess at `account`'s password from this address, or refuses it (429, audited as
     * `auditAction`, with "…次数过多" after `what`) when either limit is reached. Returns the
     * guess, to be forgotten if it was right.
     */
    async take(
      context: AuditContext,
      account: string,
      { auditAction, what }: { auditAction: string; what: string },
    ): Promise<number> {
      const at = now();
      const since = new Date(at.getTime() - windowMinutes * 60_000);
      const address = context.ip ?? 'unknown';
      const outcome = await writeTransaction(db, async (trx) => {
        await lockGuesses(trx);
        const byAccount = account ? await countGuessesForAccount(trx, account, since) : 0;
        if (byAccount >= maxFailuresPerAccount) return { refused: `账号${windowMinutes}分钟内失败${byAccount}次` };
        const byAddress = await countGuessesForAddress(trx, address, since);
        if (byAddress >= maxFailuresPerAddress) return { refused: `地址${windowMinutes}分钟内失败${byAddress}次` };
        return { id: await recordGuess(trx, account || null, address, at) };
      });
      if ('refused' in outcome) {
        await refusals.record(context, { action: auditAction, detail: outcome.refused });
        throw new TooMany(`${what}次数过多，请${windowMinutes}分钟后再试`);
      }
      return outcome.id;
    },

    /** The guess was right: it no longer counts, nor do the account's earlier failures. */
    async succeeded(guess: number, account: string): Promise<void> {
      const at = now();
      await writeTransaction(db, async (trx) => {
        await forgetGuess(trx, guess);
        await clearGuessesForAccount(trx, account);
        await pruneGuesses(trx, new Date(at.getTime() - 24 * 60 * 60_000));
      });
    },
  };
}

export type GuessThrottle = ReturnType<typeof guessThrottle>;
