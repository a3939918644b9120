'use client';

import { useEffect, useState } from 'react';
import { api } from '@/lib/api';
import { ApiError, describeError } from '@/lib/errors';
import { timeZones } from '@/lib/events';
import type { Policy, PolicyView } from '@/lib/types';
import { kindTitle } from './ActionCard';
import { ErrorNotice, Loading } from './States';

/** The action kinds an owner may let agents run without asking. */
export const autoKinds = [
  'gmail.draft.create', 'gmail.draft.update', 'gmail.thread.modify', 'gmail.thread.trash', 'gmail.thread.untrash',
  'gmail.message.send', 'gmail.draft.send', 'gmail.send.cancel',
  'calendar.event.create', 'calendar.event.update', 'calendar.event.delete', 'calendar.event.rsvp',
];

const days: { value: string; label: string }[] = [
  { value: 'mon', label: 'Mon' }, { value: 'tue', label: 'Tue' }, { value: 'wed', label: 'Wed' }, { value: 'thu', label: 'Thu' },
  { value: 'fri', label: 'Fri' }, { value: 'sat', label: 'Sat' }, { value: 'sun', label: 'Sun' },
];

const defaultHours = { time_zone: '', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' };

type Field = 'auto_approve' | 'allowed_recipient_domains' | 'max_agent_sends_per_day' | 'working_hours';

function fieldOf(name?: string): Field | undefined {
  const base = (name || '').split(/[[.]/)[0];
  return (['auto_approve', 'allowed_recipient_domains', 'max_agent_sends_per_day', 'working_hours'] as string[]).includes(base) ? (base as Field) : undefined;
}

/** splitDomains reads "example.com, @acme.org" as a list of domains. */
export function splitDomains(s: string): string[] {
  return s.split(/[\s,;]+/).map((d) => d.trim().replace(/^@/, '').toLowerCase()).filter(Boolean);
}

function normal(p: Policy): Policy {
  return { ...p, auto_approve: p.auto_approve || [], allowed_recipient_domains: p.allowed_recipient_domains || [] };
}

/** floorNotes says where the organisation's floor makes the effective policy stricter than the user's own. */
export function floorNotes(v: PolicyView): string[] {
  const own = normal(v.own);
  const eff = normal(v.effective);
  const out: string[] = [];
  const lost = own.auto_approve.filter((k) => !eff.auto_approve.includes(k));
  if (lost.length) out.push(`These still wait for you: ${lost.map(kindTitle).join(', ')}.`);
  if (eff.drafts_only && !own.drafts_only) out.push('Drafts only is on.');
  if (eff.allowed_recipient_domains.join() !== own.allowed_recipient_domains.join() && eff.allowed_recipient_domains.length) {
    out.push(`Agents may send only to ${eff.allowed_recipient_domains.join(', ')}.`);
  }
  if (eff.max_agent_sends_per_day && eff.max_agent_sends_per_day !== own.max_agent_sends_per_day) {
    out.push(`At most ${eff.max_agent_sends_per_day} agent sends a day.`);
  }
  return out;
}

/**
 * PolicyForm edits what agents may do without asking: which kinds of action
 * run on their own, drafts-only mode, the domains agents may send to, a cap
 * on agent sends a day, and the working hours meeting proposals keep to.
 * An organisation's policy is a floor: where it is stricter, the form says so.
 */
export function PolicyForm() {
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [floor, setFloor] = useState<string[]>([]);
  const [domains, setDomains] = useState('');
  const [cap, setCap] = useState('');
  const [loadError, setLoadError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [attempt, setAttempt] = useState(0);

  const show = (v: PolicyView) => {
    const p = normal(v.own);
    setPolicy(p);
    setFloor(floorNotes(v));
    setDomains(p.allowed_recipient_domains.join(', '));
    setCap(p.max_agent_sends_per_day ? String(p.max_agent_sends_per_day) : '');
  };

  useEffect(() => {
    const ctl = new AbortController();
    setLoadError(null);
    api.policy(ctl.signal).then(show, (err) => {
      if (!ctl.signal.aborted) setLoadError(err);
    });
    return () => ctl.abort();
  }, [attempt]);

  if (loadError) return <ErrorNotice error={loadError} onRetry={() => setAttempt((a) => a + 1)} />;
  if (!policy) return <Loading label="Loading your policy" lines={4} />;

  const set = (patch: Partial<Policy>) => {
    setSaved(false);
    setPolicy({ ...policy, ...patch });
  };
  const hours = policy.working_hours || defaultHours;
  const setHours = (patch: Partial<typeof hours>) => set({ working_hours: { ...hours, ...patch } });
  const toggle = (list: string[], v: string, on: boolean) => (on ? [...list.filter((x) => x !== v), v] : list.filter((x) => x !== v));

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const n = cap.trim() === '' ? 0 : Number(cap);
    if (!Number.isInteger(n) || n < 0) {
      setFieldErrors({ max_agent_sends_per_day: 'A whole number of sends, or empty for no cap.' });
      return;
    }
    setBusy(true);
    setError(null);
    setFieldErrors({});
    setSaved(false);
    try {
      show(await api.setPolicy({ ...policy, allowed_recipient_domains: splitDomains(domains), max_agent_sends_per_day: n }));
      setSaved(true);
    } catch (err) {
      const f = err instanceof ApiError ? fieldOf(err.field) : undefined;
      if (f) setFieldErrors({ [f]: describeError(err).message });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  const err = (f: Field) => fieldErrors[f] && <span className="field-error" id={`policy-${f}-error`}>{fieldErrors[f]}</span>;
  const aria = (f: Field) => ({ 'aria-invalid': fieldErrors[f] ? true : undefined, 'aria-describedby': fieldErrors[f] ? `policy-${f}-error` : undefined });
  return (
    <form onSubmit={save} noValidate className="policy-form">
      {floor.length > 0 && (
        <div className="notice notice-info" role="note">
          <p><strong>Your organisation’s policy is stricter.</strong> {floor.join(' ')}</p>
        </div>
      )}
      <fieldset aria-describedby={fieldErrors.auto_approve ? 'policy-auto_approve-error' : undefined}>
        <legend>Run without asking me</legend>
        <p className="muted small">Reading is always allowed. Anything not ticked waits on the Approvals page.</p>
        <div className="check-grid">
          {autoKinds.map((k) => (
            <label key={k} className="checkbox">
              <input type="checkbox" checked={policy.auto_approve.includes(k)} onChange={(e) => set({ auto_approve: toggle(policy.auto_approve, k, e.target.checked) })} />
              {kindTitle(k)}
            </label>
          ))}
        </div>
        {err('auto_approve')}
      </fieldset>
      <label className="checkbox">
        <input type="checkbox" checked={policy.drafts_only} onChange={(e) => set({ drafts_only: e.target.checked })} />
        Drafts only: agents may write drafts but never send
      </label>
      <div className="field">
        <label htmlFor="policy-domains">Domains agents may send to</label>
        <input id="policy-domains" value={domains} onChange={(e) => { setSaved(false); setDomains(e.target.value); }} placeholder="example.com, partner.org (empty: any)" autoComplete="off" {...aria('allowed_recipient_domains')} />
        {err('allowed_recipient_domains')}
      </div>
      <div className="field narrow">
        <label htmlFor="policy-cap">Agent sends a day, at most</label>
        <input id="policy-cap" type="number" min={0} inputMode="numeric" value={cap} onChange={(e) => { setSaved(false); setCap(e.target.value); }} placeholder="No cap" {...aria('max_agent_sends_per_day')} />
        {err('max_agent_sends_per_day')}
      </div>
      <fieldset aria-describedby={fieldErrors.working_hours ? 'policy-working_hours-error' : undefined}>
        <legend>Working hours</legend>
        <p className="muted small">Meeting proposals fall within them.</p>
        <div className="row" role="group" aria-label="Working days">
          {days.map((d) => (
            <label key={d.value} className="checkbox">
              <input type="checkbox" checked={hours.days.includes(d.value)} onChange={(e) => setHours({ days: toggle(hours.days, d.value, e.target.checked) })} />
              {d.label}
            </label>
          ))}
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor="policy-start">From</label>
            <input id="policy-start" type="time" value={hours.start} onChange={(e) => setHours({ start: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="policy-end">To</label>
            <input id="policy-end" type="time" value={hours.end} onChange={(e) => setHours({ end: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="policy-zone">Time zone</label>
            <select id="policy-zone" value={hours.time_zone} onChange={(e) => setHours({ time_zone: e.target.value })}>
              <option value="">My calendar’s</option>
              {timeZones().map((z) => <option key={z} value={z}>{z.replace(/_/g, ' ')}</option>)}
            </select>
          </div>
        </div>
        {err('working_hours')}
      </fieldset>
      {error ? <ErrorNotice error={error} /> : null}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Saving…' : 'Save policy'}</button>
        <span className="muted small" role="status">{saved ? 'Policy saved.' : ''}</span>
      </div>
    </form>
  );
}
