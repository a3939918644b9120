'use client';

import { useMemo, useRef, useState } from 'react';
import { api, newIdempotencyKey } from '@/lib/api';
import { ApiError, describeError } from '@/lib/errors';
import { eventPatch, eventRequest, formOf, isRecurring, newEventForm, timeZones, wallTime, type EventForm, type Repeat } from '@/lib/events';
import { longDate, splitAddresses } from '@/lib/format';
import type { CalendarEvent, EventScope, Slot } from '@/lib/types';
import { ErrorNotice } from './States';

const repeats: { value: Repeat; label: string }[] = [
  { value: 'none', label: 'Does not repeat' },
  { value: 'daily', label: 'Every day' },
  { value: 'weekdays', label: 'Every weekday (Monday to Friday)' },
  { value: 'weekly', label: 'Every week on this day' },
  { value: 'monthly', label: 'Every month on this date' },
  { value: 'yearly', label: 'Every year' },
];

const scopes: { value: EventScope; label: string }[] = [
  { value: 'instance', label: 'This event' },
  { value: 'following', label: 'This and following events' },
  { value: 'series', label: 'All events' },
];

/** ScopeChooser asks which occurrences of a recurring event a change is for, as Google Calendar does. */
export function ScopeChooser({ idPrefix, action, busy, onChoose, onCancel }: {
  idPrefix: string;
  /** The button's words: "Save", "Cancel event". */
  action: string;
  busy: boolean;
  onChoose: (scope: EventScope) => void;
  onCancel: () => void;
}) {
  const [scope, setScope] = useState<EventScope>('instance');
  return (
    <fieldset className="scope-chooser">
      <legend>This is a recurring event. Change which events?</legend>
      {scopes.map((s) => (
        <label key={s.value} className="radio">
          <input type="radio" name={`${idPrefix}-scope`} value={s.value} checked={scope === s.value} onChange={() => setScope(s.value)} />
          {s.label}
        </label>
      ))}
      <div className="row">
        <button type="button" className="primary" disabled={busy} onClick={() => onChoose(scope)}>{busy ? 'Working…' : action}</button>
        <button type="button" disabled={busy} onClick={onCancel}>Back</button>
      </div>
    </fieldset>
  );
}

type Field = 'summary' | 'start' | 'end' | 'time_zone' | 'attendees' | 'recurrence' | 'location';

function fieldOf(name?: string): Field | undefined {
  if (!name) return undefined;
  const base = name.split(/[[.]/)[0];
  if (base === 'date' || base === 'all_day') return 'start';
  return (['summary', 'start', 'end', 'time_zone', 'attendees', 'recurrence', 'location'] as string[]).includes(base) ? (base as Field) : undefined;
}

/**
 * EventEditor creates an event, or edits one: its times are wall-clock in
 * an explicit time zone (the browser's by default), a repeat preset becomes
 * an RRULE, and a change to a recurring event asks for its scope first.
 */
export function EventEditor({ event, initial, account, onSaved, onCancel }: {
  event?: CalendarEvent;
  /** Values to start a new event from (a suggested time, its attendees). */
  initial?: Partial<EventForm>;
  account?: string;
  onSaved: (ev: CalendarEvent, verb: 'created' | 'updated') => void;
  onCancel: () => void;
}) {
  const zone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', []);
  const [opened] = useState<EventForm>(() => ({ ...(event ? formOf(event, zone) : newEventForm(new Date(), zone)), ...initial }));
  const [form, setForm] = useState<EventForm>(opened);
  const zones = useMemo(() => timeZones(form.timeZone, zone), [form.timeZone, zone]);
  const [busy, setBusy] = useState(false);
  const [askScope, setAskScope] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<Field, string>>>({});
  const key = useRef(newIdempotencyKey());
  const id = event ? `edit-${event.id}` : 'new-event';
  const set = <K extends keyof EventForm>(k: K, v: EventForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  const save = async (scope?: EventScope) => {
    if (busy) return;
    if (!form.summary.trim()) {
      setFieldErrors({ summary: 'Give the event a title.' });
      return;
    }
    if (event && isRecurring(event) && !scope) {
      setAskScope(true);
      return;
    }
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const saved = event
        ? await api.updateEvent(event.id, eventPatch(opened, form, scope, splitAddresses), account || event.account?.id)
        : await api.createEvent(eventRequest(form, splitAddresses), key.current, account);
      onSaved(saved, event ? 'updated' : 'created');
    } catch (err) {
      if (err instanceof ApiError && err.status >= 400 && err.status < 500) key.current = newIdempotencyKey();
      const f = err instanceof ApiError ? fieldOf(err.field) : undefined;
      if (f) setFieldErrors({ [f]: describeError(err).message });
      else setError(err);
      setAskScope(false);
    } finally {
      setBusy(false);
    }
  };

  const err = (f: Field) => fieldErrors[f] && <span className="field-error" id={`${id}-${f}-error`}>{fieldErrors[f]}</span>;
  const aria = (f: Field) => ({ 'aria-invalid': fieldErrors[f] ? true : undefined, 'aria-describedby': fieldErrors[f] ? `${id}-${f}-error` : undefined });
  const title = event ? 'Edit event' : 'New event';
  return (
    <section className="card event-editor" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      <form noValidate onSubmit={(e) => { e.preventDefault(); void save(); }}>
        <div className="field">
          <label htmlFor={`${id}-summary`}>Title</label>
          <input id={`${id}-summary`} value={form.summary} onChange={(e) => set('summary', e.target.value)} autoComplete="off" {...aria('summary')} />
          {err('summary')}
        </div>
        <div className="row event-times">
          <div className="field">
            <label htmlFor={`${id}-date`}>{form.allDay ? 'From' : 'Date'}</label>
            <input id={`${id}-date`} type="date" value={form.date} onChange={(e) => set('date', e.target.value)} {...aria('start')} />
          </div>
          {!form.allDay && (
            <>
              <div className="field">
                <label htmlFor={`${id}-start`}>Starts</label>
                <input id={`${id}-start`} type="time" value={form.start} onChange={(e) => set('start', e.target.value)} {...aria('start')} />
              </div>
              <div className="field">
                <label htmlFor={`${id}-end`}>Ends</label>
                <input id={`${id}-end`} type="time" value={form.end} onChange={(e) => { set('end', e.target.value); set('endDate', form.date); }} {...aria('end')} />
              </div>
            </>
          )}
          {form.allDay && (
            <div className="field">
              <label htmlFor={`${id}-end-date`}>To</label>
              <input id={`${id}-end-date`} type="date" value={form.endDate} min={form.date} onChange={(e) => set('endDate', e.target.value)} {...aria('end')} />
            </div>
          )}
          <label className="checkbox">
            <input type="checkbox" checked={form.allDay} onChange={(e) => set('allDay', e.target.checked)} /> All day
          </label>
        </div>
        {err('start')}{err('end')}
        <div className="row">
          <div className="field">
            <label htmlFor={`${id}-zone`}>Time zone</label>
            <select id={`${id}-zone`} value={form.timeZone} onChange={(e) => set('timeZone', e.target.value)} {...aria('time_zone')}>
              {zones.map((z) => <option key={z} value={z}>{z.replace(/_/g, ' ')}</option>)}
            </select>
            {err('time_zone')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-repeat`}>Repeats</label>
            <select id={`${id}-repeat`} value={form.repeat} onChange={(e) => set('repeat', e.target.value as Repeat)} {...aria('recurrence')}>
              {repeats.map((r) => <option key={r.value} value={r.value}>{r.label}</option>)}
            </select>
            {err('recurrence')}
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${id}-attendees`}>Guests</label>
          <input id={`${id}-attendees`} value={form.attendees} onChange={(e) => set('attendees', e.target.value)} placeholder="name@example.com, …" autoComplete="off" {...aria('attendees')} />
          {err('attendees')}
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={form.notify} onChange={(e) => set('notify', e.target.checked)} /> Email the guests an invitation (or the change)
        </label>
        <div className="field">
          <label htmlFor={`${id}-location`}>Location</label>
          <input id={`${id}-location`} value={form.location} onChange={(e) => set('location', e.target.value)} autoComplete="off" {...aria('location')} />
          {err('location')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-description`}>Description</label>
          <textarea id={`${id}-description`} className="short" value={form.description} onChange={(e) => set('description', e.target.value)} />
        </div>
        {error ? <ErrorNotice error={error} /> : null}
        {askScope ? (
          <ScopeChooser idPrefix={id} action="Save" busy={busy} onChoose={(s) => void save(s)} onCancel={() => setAskScope(false)} />
        ) : (
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>{busy ? 'Saving…' : event ? 'Save' : 'Create event'}</button>
            <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>
          </div>
        )}
      </form>
    </section>
  );
}

const responses: { value: 'accepted' | 'tentative' | 'declined'; label: string }[] = [
  { value: 'accepted', label: 'Yes' },
  { value: 'tentative', label: 'Maybe' },
  { value: 'declined', label: 'No' },
];

/** Rsvp answers an invitation, with an optional note to the organiser. */
export function Rsvp({ event, current, account, onAnswered }: {
  event: CalendarEvent;
  current: string;
  account?: string;
  onAnswered: (ev: CalendarEvent | undefined, response: string) => void;
}) {
  const [note, setNote] = useState('');
  const [showNote, setShowNote] = useState(false);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState<unknown>(null);
  const answer = async (r: 'accepted' | 'tentative' | 'declined') => {
    if (busy) return;
    setBusy(r);
    setError(null);
    try {
      const ev = await api.rsvp(event.id, r, note.trim(), account || event.account?.id);
      onAnswered(ev, r);
      setNote('');
      setShowNote(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy('');
    }
  };
  const noteId = `rsvp-note-${event.id}`;
  return (
    <div className="rsvp">
      <div className="row" role="group" aria-label={`Going to ${event.summary || 'this event'}?`}>
        <span className="small muted">Going?</span>
        {responses.map((r) => (
          <button key={r.value} type="button" aria-pressed={current === r.value} className={current === r.value ? 'primary' : undefined}
            disabled={busy !== ''} onClick={() => void answer(r.value)}>
            {busy === r.value ? '…' : r.label}
          </button>
        ))}
        {!showNote && <button type="button" className="link-button" onClick={() => setShowNote(true)}>Add a note</button>}
      </div>
      {showNote && (
        <div className="field">
          <label htmlFor={noteId}>Note to the organiser</label>
          <input id={noteId} value={note} onChange={(e) => setNote(e.target.value)} autoComplete="off" placeholder="Sent with your answer" />
        </div>
      )}
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}

const durations = [15, 30, 45, 60, 90];
const windows = [{ days: 1, label: 'Today and tomorrow' }, { days: 3, label: 'The next 3 days' }, { days: 7, label: 'The next week' }, { days: 14, label: 'The next two weeks' }];

/**
 * FindTime asks Jarvis for meeting times when everyone is free (from
 * their free/busy and the owner's working hours); choosing one starts a
 * new event at that time with those guests.
 */
export function FindTime({ account, onPick, onCancel }: {
  account?: string;
  onPick: (slot: Slot, attendees: string, minutes: number) => void;
  onCancel: () => void;
}) {
  const [attendees, setAttendees] = useState('');
  const [minutes, setMinutes] = useState(30);
  const [days, setDays] = useState(7);
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const [unknown, setUnknown] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState('');
  const zone = useMemo(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', []);

  const find = async (e: React.FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const list = splitAddresses(attendees);
    if (list.length === 0) {
      setFieldError('Add at least one guest.');
      return;
    }
    setBusy(true);
    setError(null);
    setFieldError('');
    try {
      const now = new Date();
      const r = await api.suggest({
        attendees: list, duration_minutes: minutes,
        within: { start: now.toISOString(), end: new Date(now.getTime() + days * 86400000).toISOString() },
      }, account);
      setSlots(r.proposals || []);
      setUnknown(r.unknown_attendees || []);
    } catch (err) {
      if (err instanceof ApiError && err.field?.startsWith('attendees')) setFieldError(describeError(err).message);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="find-time-title">
      <h2 id="find-time-title">Find a time</h2>
      <form onSubmit={find} noValidate>
        <div className="field">
          <label htmlFor="find-attendees">Guests</label>
          <input id="find-attendees" value={attendees} onChange={(e) => setAttendees(e.target.value)} placeholder="name@example.com, …" autoComplete="off"
            aria-invalid={fieldError ? true : undefined} aria-describedby={fieldError ? 'find-attendees-error' : undefined} />
          {fieldError && <span className="field-error" id="find-attendees-error">{fieldError}</span>}
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor="find-duration">Length</label>
            <select id="find-duration" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
              {durations.map((d) => <option key={d} value={d}>{d < 60 ? `${d} minutes` : d === 60 ? '1 hour' : `${d / 60} hours`}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="find-within">Within</label>
            <select id="find-within" value={days} onChange={(e) => setDays(Number(e.target.value))}>
              {windows.map((w) => <option key={w.days} value={w.days}>{w.label}</option>)}
            </select>
          </div>
        </div>
        {error ? <ErrorNotice error={error} /> : null}
        <div className="row">
          <button type="submit" className="primary" disabled={busy}>{busy ? 'Looking…' : 'Find times'}</button>
          <button type="button" onClick={onCancel} disabled={busy}>Close</button>
        </div>
      </form>
      {slots && unknown.length > 0 && (
        <p className="small muted">Google does not show when {unknown.join(', ')} {unknown.length === 1 ? 'is' : 'are'} busy: these times do not account for them.</p>
      )}
      {slots && (slots.length === 0 ? (
        <p role="status">No time when everyone is free in that window, within your working hours. Try a longer window or a shorter meeting.</p>
      ) : (
        <ul className="plain slots" aria-label="Suggested times">
          {slots.map((s) => {
            const w = wallTime(new Date(s.end), zone);
            return (
              <li key={s.start} className="row">
                <span className="spacer"><time dateTime={s.start}>{longDate(s.start)}</time> – {w.time}</span>
                <button type="button" onClick={() => onPick(s, attendees, minutes)}>Book<span className="visually-hidden"> {longDate(s.start)}</span></button>
              </li>
            );
          })}
        </ul>
      ))}
    </section>
  );
}
