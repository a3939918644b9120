import Link from 'next/link';

export const metadata = { title: 'Not found' };

export default function NotFound() {
  return (
    <div className="empty card">
      <h1>Page not found</h1>
      <p>There is nothing at this address. <Link href="/">Go to the inbox</Link>.</p>
    </div>
  );
}
