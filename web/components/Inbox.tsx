'use client';

import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { api } from '@/lib/api';
import { labelName, quietLabels, shortDate, participantsLabel } from '@/lib/format';
import type { AccountRef, Label, ThreadSummary } from '@/lib/types';
import { ALL_ACCOUNTS } from '@/lib/account';
import { accountMarks, appendPage, refreshFirstPage, threadKey, unifiedLabels, unreadCount, withCount } from '@/lib/inbox';
import { AccountSwitcher } from './AccountSwitcher';
import { useAccount, useSession } from './Session';
import { EmptyState, ErrorNotice, Loading } from './States';
import { isTypingTarget } from './keys';
import { useLive } from '@/lib/live';
import { applyProgress, etaLabel, seedProgress, type SyncProgress } from '@/lib/progress';

const pageSize = 25;

/** threadHref is a thread's page, in the account it is in. */
export function threadHref(id: string, account?: AccountRef | null, reply = false): string {
  const p = new URLSearchParams({ id });
  if (account?.id) p.set('account', account.id);
  if (reply) p.set('reply', '1');
  return `/thread?${p.toString()}`;
}

export function inboxHref(q: string, label: string): string {
  const p = new URLSearchParams();
  if (q) p.set('q', q);
  if (label) p.set('label', label);
  const s = p.toString();
  return s ? `/?${s}` : '/';
}

export function Inbox() {
  const params = useSearchParams();
  const router = useRouter();
  const q = params.get('q') || '';
  const labelParam = params.get('label');
  // Without a search the inbox shows INBOX; a search looks through all mail, as Gmail does.
  const label = labelParam ?? (q ? 'all' : 'INBOX');
  const apiLabel = label === 'all' ? '' : label;
  // "all" merges every account's threads, each row naming its account.
  const account = useAccount(true);
  const merged = account === ALL_ACCOUNTS;
  const [shown, setShown] = useState<AccountRef | undefined>();
  const { accounts } = useSession();
  const accountIds = accounts.map((a) => a.id).join(',');

  // The label lists read: one for the account shown, or one per account
  // (null where it could not be read) when they are merged.
  const [labelSets, setLabelSets] = useState<{ account: string; labels: Label[] | null }[]>([]);
  const [threads, setThreads] = useState<ThreadSummary[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [selected, setSelected] = useState(0);
  const threadsRef = useRef<ThreadSummary[] | null>(null);
  threadsRef.current = threads;
  const [draftQuery, setDraftQuery] = useState(q);
  const [attempt, setAttempt] = useState(0);
  const searchRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const loadingMoreRef = useRef(false);

  useEffect(() => setDraftQuery(q), [q]);

  // Live: new mail (on any replica) refreshes the first page and the label
  // counts in place; a sync in progress shows how far it is.
  const [fresh, setFresh] = useState(0);
  const [progress, setProgress] = useState<Record<string, SyncProgress>>({});
  useLive((e) => {
    if (e.type === 'mail.changed' || e.type === 'reload') setFresh((n) => n + 1);
    if (e.type === 'sync.progress') setProgress((cur) => applyProgress(cur, e.data, Date.now()));
  });
  // A sync already running when the page loads shows its bar at once, not
  // only from the stream's next report.
  useEffect(() => {
    if (!accountIds) return;
    const ctl = new AbortController();
    for (const id of accountIds.split(',')) {
      api.syncStatus(id, ctl.signal).then((s) => setProgress((cur) => seedProgress(cur, s, Date.now())), () => {});
    }
    return () => ctl.abort();
  }, [accountIds]);

  const loadLabels = useCallback((signal: AbortSignal) => {
    if (merged) {
      const ids = accountIds ? accountIds.split(',') : [];
      Promise.all(ids.map((id) => api.labels(id, signal).then((r) => r.labels || [], () => null))).then((lists) => {
        if (!signal.aborted) setLabelSets(ids.map((id, i) => ({ account: id, labels: lists[i] })));
      });
    } else {
      api.labels(account, signal).then((r) => setLabelSets([{ account: r.account?.id ?? '', labels: r.labels || [] }]), () => {});
    }
  }, [merged, account, accountIds]);

  useEffect(() => {
    if (fresh === 0) return;
    const ctl = new AbortController();
    api.threads({ account, q, label: apiLabel, max_results: pageSize }, ctl.signal).then(
      (r) => {
        const cur = threadsRef.current || [];
        const { threads: list, keptRest } = refreshFirstPage(cur, r.threads || [], pageSize);
        setThreads(list);
        if (keptRest === 0) setNext(r.next_page_token || undefined);
      },
      () => {},
    );
    loadLabels(ctl.signal);
    return () => ctl.abort();
    // Only a change refreshes: the query's own loads are the effect above.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fresh]);

  useEffect(() => {
    const ctl = new AbortController();
    setLabelSets([]);
    loadLabels(ctl.signal);
    return () => ctl.abort();
  }, [loadLabels]);

  useEffect(() => {
    const ctl = new AbortController();
    setThreads(null);
    setError(null);
    setMoreError(null);
    setNext(undefined);
    setSelected(0);
    api.threads({ account, q, label: apiLabel, max_results: pageSize }, ctl.signal).then(
      (r) => {
        setThreads(r.threads || []);
        setShown(r.account ?? undefined);
        setNext(r.next_page_token || undefined);
      },
      (err) => {
        if (!ctl.signal.aborted) setError(err);
      },
    );
    return () => ctl.abort();
  }, [q, apiLabel, account, attempt]);

  const loadMore = useCallback(async () => {
    if (!next || loadingMoreRef.current) return;
    loadingMoreRef.current = true;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const r = await api.threads({ account, q, label: apiLabel, page_token: next, max_results: pageSize });
      setThreads((cur) => appendPage(cur || [], r.threads || []));
      setNext(r.next_page_token || undefined);
    } catch (err) {
      setMoreError(err);
    } finally {
      loadingMoreRef.current = false;
      setLoadingMore(false);
    }
  }, [next, q, apiLabel, account]);

  // Load the next page when the end of the list scrolls into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !next || moreError || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) loadMore();
    }, { rootMargin: '400px' });
    io.observe(el);
    return () => io.disconnect();
  }, [next, loadMore, moreError, threads]);

  const open = useCallback((t: ThreadSummary, reply = false) => {
    router.push(threadHref(t.id, t.account ?? shown, reply));
  }, [router, shown]);

  // A layout effect: the handler that knows the threads is in place by the
  // time they are on screen, so a key pressed at a listed thread acts on it.
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === '/' && !isTypingTarget(e.target)) {
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
        return;
      }
      if (isTypingTarget(e.target) || !threads || threads.length === 0) return;
      const target = e.target as HTMLElement | null;
      if (e.key === 'j') {
        e.preventDefault();
        setSelected((i) => Math.min(i + 1, threads.length - 1));
        if (selected >= threads.length - 3) loadMore();
      } else if (e.key === 'k') {
        e.preventDefault();
        setSelected((i) => Math.max(i - 1, 0));
      } else if (e.key === 'Enter' && !(target && target.closest('a, button'))) {
        e.preventDefault();
        open(threads[selected]);
      } else if (e.key === 'r') {
        e.preventDefault();
        open(threads[selected], true);
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [threads, selected, open, loadMore]);

  useEffect(() => {
    const el = listRef.current?.querySelectorAll('li')[selected];
    el?.scrollIntoView?.({ block: 'nearest' });
  }, [selected]);

  const labels = useMemo(
    () => (merged ? unifiedLabels(labelSets.map((s) => s.labels)) : labelSets[0]?.labels || []),
    [merged, labelSets],
  );
  const names = useMemo(() => new Map(labels.map((l) => [l.id, l.name])), [labels]);
  // A row's label chips are named from its own account's labels.
  const namesByAccount = useMemo(
    () => new Map(labelSets.map((s) => [s.account, new Map((s.labels || []).map((l) => [l.id, l.name]))])),
    [labelSets],
  );
  const marks = useMemo(() => accountMarks(accounts), [accounts]);
  const sortedLabels = useMemo(
    () => [...labels].sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'system' ? -1 : 1)),
    [labels],
  );
  const labelOptions = useMemo(() => {
    const opts = sortedLabels.map((l) => ({ id: l.id, name: withCount(labelName(l.id, names), unreadCount(l)) }));
    if (!opts.some((o) => o.id === 'INBOX')) opts.unshift({ id: 'INBOX', name: 'Inbox' });
    if (label !== 'all' && !opts.some((o) => o.id === label)) opts.push({ id: label, name: labelName(label, names) });
    return opts;
  }, [sortedLabels, names, label]);

  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    router.push(inboxHref(draftQuery.trim(), labelParam ?? ''));
  };

  const heading = q ? 'Search results' : label === 'all' ? 'All mail' : labelName(label, names);
  const headingUnread = q || label === 'all' ? undefined : unreadCount(labels.find((l) => l.id === label));

  return (
    <>
      <div className="toolbar">
        <form role="search" onSubmit={submit}>
          <label htmlFor="search" className="visually-hidden">Search mail</label>
          <input
            ref={searchRef}
            id="search"
            type="search"
            name="q"
            value={draftQuery}
            onChange={(e) => setDraftQuery(e.target.value)}
            placeholder="Search mail — e.g. from:ada has:attachment"
            autoComplete="off"
          />
          <button type="submit">Search</button>
        </form>
        <label htmlFor="label-filter" className="visually-hidden">Label</label>
        <select
          id="label-filter"
          value={label}
          onChange={(e) => router.push(inboxHref(q, e.target.value))}
        >
          <option value="all">All mail</option>
          {labelOptions.map((l) => (
            <option key={l.id} value={l.id}>{l.name}</option>
          ))}
        </select>
        <AccountSwitcher allowAll />
        <Link className="button" href="/scheduled">Scheduled</Link>
        <Link className="button primary" href="/compose">Compose</Link>
      </div>
      <h1>
        {heading}
        {q && <span className="muted small"> for “{q}”</span>}
        {headingUnread !== undefined && <span className="muted small heading-count"> {headingUnread} unread</span>}
        {merged && <span className="muted small"> · all accounts</span>}
      </h1>
      {Object.values(progress).map((p) => {
        const who = accounts.find((a) => a.id === p.account_id)?.email || 'the mailbox';
        return (
          <div key={p.account_id} className="sync-progress" role="progressbar" aria-label={`Syncing ${who}`}
            aria-valuemin={0} aria-valuemax={p.total} aria-valuenow={p.done}>
            <span className="muted small">
              Syncing {who} ({p.phase}): {p.done} of {p.total} messages{p.eta !== undefined && `, ${etaLabel(p.eta)}`}
            </span>
            <progress max={Math.max(p.total, 1)} value={p.done} />
          </div>
        );
      })}
      {error ? (
        <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : threads === null ? (
        <Loading label="Loading threads" lines={8} />
      ) : threads.length === 0 ? (
        q ? (
          <EmptyState title="No threads match">
            <p>Nothing matches “{q}”. Try fewer words, or Gmail operators such as <code>from:</code>, <code>subject:</code> or <code>has:attachment</code>.</p>
            <p><Link href="/">Back to the inbox</Link></p>
          </EmptyState>
        ) : (
          <EmptyState title="Nothing here">
            <p>There are no threads with this label. Pick another label above, or search all mail with <kbd>/</kbd>.</p>
          </EmptyState>
        )
      ) : (
        <>
          <ul className="thread-list" ref={listRef} aria-label="Threads">
            {threads.map((t, i) => {
              const mark = merged && t.account ? marks.get(t.account.id) ?? { email: t.account.email, short: t.account.email, tone: 0 } : undefined;
              const rowNames = (t.account && namesByAccount.get(t.account.id)) || names;
              return (
              <li key={threadKey(t)} className={`thread-item${t.unread ? ' unread' : ''}${i === selected ? ' selected' : ''}`}>
                <Link
                  prefetch={false}
                  className="thread-link"
                  href={threadHref(t.id, t.account ?? shown)}
                  aria-current={i === selected ? 'true' : undefined}
                  onFocus={() => setSelected(i)}
                >
                  <span className="thread-from">
                    {t.unread && <span className="unread-dot" aria-hidden="true" />}
                    {t.unread && <span className="visually-hidden">Unread, </span>}
                    {participantsLabel(t.participants, t.from) || '(unknown sender)'}
                    {t.message_count > 1 && <span className="count"><span className="visually-hidden">, </span>({t.message_count})<span className="visually-hidden"> messages</span></span>}
                  </span>
                  <span className="thread-main">
                    {mark && (
                      <span className={`chip account-mark tone-${mark.tone}`} title={mark.email}>
                        <span className="visually-hidden">In </span>
                        <span aria-hidden="true">{mark.short}</span>
                        <span className="visually-hidden">{mark.email}, </span>
                      </span>
                    )}
                    {(t.labels || []).filter((l) => !quietLabels.has(l) && l !== label).map((l) => (
                      <span key={l} className="chip">{labelName(l, rowNames)}</span>
                    ))}
                    <span className="thread-subject">{t.subject || '(no subject)'}</span>
                    {t.snippet && <span className="thread-snippet"> — {t.snippet}</span>}
                  </span>
                  <time className="thread-date" dateTime={t.date}>{shortDate(t.date)}</time>
                </Link>
              </li>
              );
            })}
          </ul>
          <div ref={sentinel} />
          {moreError ? (
            <ErrorNotice error={moreError} onRetry={loadMore} />
          ) : next ? (
            <div className="row shortcuts">
              <button type="button" onClick={loadMore} disabled={loadingMore}>
                {loadingMore ? 'Loading…' : 'Load more'}
              </button>
            </div>
          ) : (
            <p className="muted small shortcuts">End of the list · {threads.length} thread{threads.length === 1 ? '' : 's'}</p>
          )}
          <p className="muted small shortcuts">
            Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> opens, <kbd>r</kbd> replies, <kbd>/</kbd> searches.
          </p>
        </>
      )}
    </>
  );
}
