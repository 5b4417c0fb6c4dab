/**
 * Runs every task with at most `limit` in flight at once. Each request holds a connection (and a
 * job delivered locally, as tests deliver them, holds another while its webhook's is open), and
 * PostgreSQL 15's max_connections (100) is shared by every test running on the server: too many at
 * once fail on "too many clients" rather than on anything the test is about.
 */
export async function inFlight<T>(limit: number, tasks: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await (tasks[i] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
