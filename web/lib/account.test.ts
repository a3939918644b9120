import { describe, expect, it } from 'vitest';
import { accountFor, ALL_ACCOUNTS } from './account';
import type { GoogleAccount } from './types';

const acct = (id: string, primary = false): GoogleAccount => ({
  id, email: `${id}@example.com`, name: '', picture: '', primary, status: 'active', scopes: [], connected_at: '', last_used_at: null,
});

describe('accountFor', () => {
  const two = [acct('ada', true), acct('grace')];
  it('merges only where the page can', () => {
    expect(accountFor(ALL_ACCOUNTS, two, true)).toBe(ALL_ACCOUNTS);
    expect(accountFor(ALL_ACCOUNTS, two, false)).toBe('');
    expect(accountFor(ALL_ACCOUNTS, [acct('ada', true)], true)).toBe('');
  });
  it('keeps a connected account and forgets a disconnected one', () => {
    expect(accountFor('grace', two, false)).toBe('grace');
    expect(accountFor('gone', two, true)).toBe('');
    expect(accountFor('', two, true)).toBe('');
  });
});
