// Which of the user's Google accounts the dashboard shows: kept in the
// browser between visits, as an account id, "all", or "" for the primary.

import type { GoogleAccount } from './types';

export const ALL_ACCOUNTS = 'all';
const storageKey = 'jarvis.account';

/** readStoredAccount returns the account chosen last time ("all" when none was). */
export function readStoredAccount(): string {
  try {
    return globalThis.localStorage?.getItem(storageKey) ?? ALL_ACCOUNTS;
  } catch {
    return ALL_ACCOUNTS;
  }
}

export function storeAccount(value: string) {
  try {
    globalThis.localStorage?.setItem(storageKey, value);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

/**
 * accountFor returns the account parameter a page sends for the chosen
 * account: "all" only where the page can merge accounts, the chosen id
 * when it is still connected, and "" (the primary) otherwise.
 */
export function accountFor(chosen: string, accounts: GoogleAccount[], allowAll: boolean): string {
  if (chosen === ALL_ACCOUNTS) return allowAll && accounts.length > 1 ? ALL_ACCOUNTS : '';
  return accounts.some((a) => a.id === chosen) ? chosen : '';
}
