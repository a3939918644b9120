'use client';

import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLive } from '@/lib/live';
import { api } from '@/lib/api';
import { dateInZone, dayHeading, groupAgenda, responseLabel, timeRange } from '@/lib/agenda';
import { ALL_ACCOUNTS } from '@/lib/account';
import { amOrganiser, browserZone, isRecurring, myResponse, wallTime, type EventForm } from '@/lib/events';
import type { CalendarEvent, EventScope } from '@/lib/types';
import { AccountSwitcher } from './AccountSwitcher';
import { EventEditor, FindTime, Rsvp, ScopeChooser } from './EventEditor';
import { useAccount, useMe, useSession } from './Session';
import { EmptyState, ErrorNotice, Loading } from './States';

const ranges = [7, 14, 30];


function safeLink(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** eventKey tells events apart across merged calendars, where one meeting may be in several. */
function eventKey(ev: CalendarEvent): string {
  return `${ev.account?.id || ''}:${ev.id}`;
}

/** EventActions edit and cancel an event the user organises, or answer one they are invited to. */
function EventActions({ ev, mine, onChanged, onEdit }: {
  ev: CalendarEvent;
  mine: Set<string>;
  onChanged: (message: string) => void;
  onEdit: () => void;
}) {
  const [askScope, setAskScope] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const response = myResponse(ev, mine);
  const cancel = async (scope?: EventScope) => {
    if (!scope && isRecurring(ev)) {
      setAskScope(true);
      return;
    }
    if (!scope && !window.confirm(`Cancel “${ev.summary || 'this event'}”? Its guests are told.`)) return;
    setBusy(true);
    setError(null);
    try {
      await api.cancelEvent(ev.id, scope, ev.account?.id);
      onChanged(`“${ev.summary || 'The event'}” is cancelled.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setAskScope(false);
    }
  };
  const name = <span className="visually-hidden">: {ev.summary}</span>;
  return (
    <>
      {response !== null && (
        <Rsvp event={ev} current={response} onAnswered={(_, r) => onChanged(`You answered ${r === 'accepted' ? 'yes' : r === 'declined' ? 'no' : 'maybe'} to “${ev.summary}”.`)} />
      )}
      {amOrganiser(ev, mine) && (askScope ? (
        <ScopeChooser idPrefix={`cancel-${ev.id}`} action="Cancel event" busy={busy} onChoose={(s) => void cancel(s)} onCancel={() => setAskScope(false)} />
      ) : (
        <div className="row event-actions">
          <button type="button" onClick={onEdit} disabled={busy}>Edit{name}</button>
          <button type="button" className="danger" onClick={() => void cancel()} disabled={busy}>{busy ? 'Cancelling…' : 'Cancel event'}{name}</button>
        </div>
      ))}
      {error ? <ErrorNotice error={error} /> : null}
    </>
  );
}

function EventItem({ ev, zone, merged, mine, editing, onEdit, onChanged }: {
  ev: CalendarEvent;
  zone: string;
  merged: boolean;
  mine: Set<string>;
  editing: boolean;
  onEdit: (open: boolean) => void;
  onChanged: (message: string) => void;
}) {
  const meet = ev.meet_link ? safeLink(ev.meet_link) : undefined;
  const link = ev.html_link ? safeLink(ev.html_link) : undefined;
  if (editing) {
    return (
      <li className="event event-editing">
        <EventEditor event={ev} onCancel={() => onEdit(false)}
          onSaved={(saved) => { onEdit(false); onChanged(`“${saved.summary || ev.summary}” is saved.`); }} />
      </li>
    );
  }
  return (
    <li className="event">
      <div className="event-time">{timeRange(ev, zone)}</div>
      <div>
        <div className="event-title">
          {ev.summary || '(no title)'}
          {ev.status === 'tentative' && <span className="chip"> tentative</span>}
          {merged && ev.account && <span className="chip account-chip"><span className="visually-hidden">Calendar of </span>{ev.account.email}</span>}
        </div>
        {ev.location && <div className="small"><span className="muted">Where: </span>{ev.location}</div>}
        {meet && (
          <div className="small"><a href={meet} target="_blank" rel="noopener noreferrer">Join Google Meet</a></div>
        )}
        {ev.organizer && (ev.organizer.name || ev.organizer.email) && (
          <div className="small muted">Organiser: {ev.organizer.name || ev.organizer.email}</div>
        )}
        {ev.attendees?.length > 0 && (
          <ul className="attendees" aria-label="Attendees">
            {ev.attendees.map((a) => (
              <li key={a.email}>
                {a.name || a.email}{' '}
                <span className={`rsvp-${a.response_status || 'needsAction'}`}>({responseLabel(a.response_status)})</span>
              </li>
            ))}
          </ul>
        )}
        {link && <div className="small"><a href={link} target="_blank" rel="noopener noreferrer">Open in Google Calendar<span className="visually-hidden">: {ev.summary}</span></a></div>}
        {isRecurring(ev) && <div className="small muted">Repeats</div>}
        <EventActions ev={ev} mine={mine} onChanged={onChanged} onEdit={() => onEdit(true)} />
      </div>
    </li>
  );
}

export function Agenda() {
  const params = useSearchParams();
  const router = useRouter();
  const daysParam = Number(params.get('days'));
  const days = ranges.includes(daysParam) ? daysParam : 7;
  const [events, setEvents] = useState<CalendarEvent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  // A calendar change (on any replica) reloads the agenda.
  useLive((e) => {
    if (e.type === 'calendar.changed' || e.type === 'reload') setAttempt((a) => a + 1);
  });
  const [zone, setZone] = useState('UTC');
  const [now, setNow] = useState<Date | null>(null);
  const account = useAccount(true);
  const merged = account === ALL_ACCOUNTS;
  const me = useMe();
  const { accounts } = useSession();
  const mine = useMemo(
    () => new Set([me?.user.email, me?.google?.email, ...accounts.map((a) => a.email)].filter(Boolean).map((e) => e!.toLowerCase())),
    [me, accounts],
  );
  // The form open above the agenda: a new event (maybe at a suggested time) or the time finder.
  const [panel, setPanel] = useState<{ kind: 'new'; initial?: Partial<EventForm> } | { kind: 'find' } | null>(null);
  const [editing, setEditing] = useState('');
  const [status, setStatus] = useState('');
  const changed = useCallback((message: string) => {
    setStatus(message);
    setAttempt((a) => a + 1);
  }, []);
  // Writing into a merged calendar goes to the primary account's.
  const writeAccount = merged ? '' : account;

  useEffect(() => {
    setZone(browserZone());
    setNow(new Date());
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    setEvents(null);
    setError(null);
    api.upcoming(days, account, ctl.signal).then((r) => setEvents(r.events || []), (err) => {
      if (!ctl.signal.aborted) setError(err);
    });
    return () => ctl.abort();
  }, [days, account, attempt]);

  const agenda = useMemo(() => (events && now ? groupAgenda(events, now, days, zone) : null), [events, now, days, zone]);
  const today = now ? dateInZone(now, zone) : '';

  return (
    <>
      <div className="toolbar">
        <h1 className="spacer">Calendar</h1>
        <AccountSwitcher allowAll />
        <div role="group" aria-label="Range" className="row">
          {ranges.map((d) => (
            <button
              key={d}
              type="button"
              className={d === days ? 'primary' : undefined}
              aria-pressed={d === days}
              onClick={() => router.push(`/agenda?days=${d}`)}
            >
              {d} days
            </button>
          ))}
        </div>
      </div>
      <div className="row">
        <p className="muted small spacer">The next {days} days, in your time zone ({zone}).</p>
        <button type="button" onClick={() => setPanel({ kind: 'find' })}>Find a time</button>
        <button type="button" className="primary" onClick={() => setPanel({ kind: 'new' })}>New event</button>
      </div>
      <p className="muted small" role="status">{status}</p>
      {panel?.kind === 'new' && (
        <EventEditor key={JSON.stringify(panel.initial || {})} initial={panel.initial} account={writeAccount} onCancel={() => setPanel(null)}
          onSaved={(ev) => { setPanel(null); changed(`“${ev.summary}” is in your calendar.`); }} />
      )}
      {panel?.kind === 'find' && (
        <FindTime account={writeAccount} onCancel={() => setPanel(null)} onPick={(slot, attendees) => {
          const s = wallTime(new Date(slot.start), zone);
          const e = wallTime(new Date(slot.end), zone);
          setPanel({ kind: 'new', initial: { date: s.date, start: s.time, endDate: e.date, end: e.time, timeZone: zone, attendees } });
        }} />
      )}
      {error ? (
        <ErrorNotice error={error} onRetry={() => setAttempt((a) => a + 1)} />
      ) : !agenda ? (
        <Loading label="Loading events" />
      ) : agenda.length === 0 ? (
        <EmptyState title="Nothing scheduled">
          <p>No events in the next {days} days. Pick a longer range above, or add events in Google Calendar.</p>
        </EmptyState>
      ) : (
        agenda.map((d) => (
          <section key={d.date} className="agenda-day" aria-labelledby={`day-${d.date}`}>
            <h2 id={`day-${d.date}`}>{dayHeading(d.date, today)}</h2>
            {d.allDay.length > 0 && (
              <ul className="allday" aria-label="All-day events">
                {d.allDay.map((ev) => (
                  <li key={eventKey(ev)}>
                    <span className="visually-hidden">All day: </span>{ev.summary || '(no title)'}{ev.location ? ` · ${ev.location}` : ''}
                    {merged && ev.account && <span className="chip account-chip"><span className="visually-hidden">Calendar of </span>{ev.account.email}</span>}
                  </li>
                ))}
              </ul>
            )}
            {d.timed.length > 0 && (
              <ul className="event-list">
                {d.timed.map((ev) => (
                  <EventItem key={eventKey(ev)} ev={ev} zone={zone} merged={merged} mine={mine} editing={editing === eventKey(ev)}
                    onEdit={(open) => setEditing(open ? eventKey(ev) : '')} onChanged={changed} />
                ))}
              </ul>
            )}
          </section>
        ))
      )}
    </>
  );
}
