// What each Google permission lets Jarvis do: the same scope lists the
// server checks before each call (internal/google/gmail.go, organise.go).

const G = 'https://www.googleapis.com/auth/';

export const features = [
  { name: 'Reading your mail', page: 'the inbox and the assistant\u2019s mail search', scopes: [`${G}gmail.readonly`, `${G}gmail.modify`, 'https://mail.google.com/'] },
  { name: 'Saving drafts', page: 'Compose, replies and the assistant\u2019s drafts', scopes: [`${G}gmail.compose`, `${G}gmail.modify`, 'https://mail.google.com/'] },
  { name: 'Organising your mail', page: 'Archive, Mark as read, Star and Trash on a thread', scopes: [`${G}gmail.modify`, 'https://mail.google.com/'] },
  { name: 'Reading your calendar', page: 'the calendar and the assistant\u2019s agenda and free time', scopes: [`${G}calendar.readonly`, `${G}calendar`, `${G}calendar.events.readonly`, `${G}calendar.events`] },
] as const;

export type Feature = (typeof features)[number];

/** missingFeatures lists the features none of whose permissions were granted. */
export function missingFeatures(granted: string[] | undefined): Feature[] {
  const have = new Set(granted || []);
  return features.filter((f) => !f.scopes.some((s) => have.has(s)));
}
