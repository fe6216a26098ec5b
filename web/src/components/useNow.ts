import { useEffect, useState } from 'react';

/** Date.now(), refreshed every `ms` (relative times tick without refetching anything). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
