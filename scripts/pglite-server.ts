// PGlite served over the Postgres wire protocol to many connections at once.
//
// PGlite is one session. @electric-sql/pglite-socket multiplexes connections onto it message by
// message, which breaks the extended query protocol: another connection's Parse/Bind can land
// between this one's Bind and Execute ("portal does not exist"). This server multiplexes by
// protocol unit instead: everything a connection sends up to a Sync (or a simple Query) runs as
// one block, and a connection that opened a transaction keeps the session until it ends it, so
// concurrent clients see the isolation of a serialized database.
import { createServer, type Server, type Socket } from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const GSSENC_REQUEST = 80877104;

/** PGlite with the extensions the migrations create (pg_trgm, for search); in memory without a directory. */
export function createPGlite(dataDir?: string): Promise<PGlite> {
  return PGlite.create(dataDir, { extensions: { pg_trgm } });
}

type Unit = { conn: Connection; messages: Uint8Array[]; terminate: boolean };
type Connection = {
  id: number;
  socket: Socket;
  buffer: Buffer;
  pending: Uint8Array[];
  startup: boolean;
  closed: boolean;
};

export async function servePGlite(
  db: PGlite,
  options: { host?: string; port?: number } = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const queue: Unit[] = [];
  let owner: Connection | null = null; // holds the session: open transaction, or a unit without Sync yet
  let running = false;
  let nextId = 1;

  const drain = async () => {
    if (running) return;
    running = true;
    try {
      for (;;) {
        const index = owner ? queue.findIndex((u) => u.conn === owner) : 0;
        if (index < 0 || queue.length === 0) break;
        const [unit] = queue.splice(index, 1);
        if (!unit) break;
        if (unit.terminate) {
          await release(unit.conn);
          unit.conn.socket.end();
          continue;
        }
        const chunks: Uint8Array[] = [];
        try {
          // Message by message, as PGlite expects (an error surfaces with the message that caused
          // it), but with no other connection's message in between.
          await db.runExclusive(async () => {
            for (const message of unit.messages) {
              // onRawData hands out a view of PGlite memory that the next message overwrites: copy it.
              await db.execProtocolRawStream(message, { onRawData: (data) => chunks.push(data.slice()) });
            }
          });
        } catch (error) {
          unit.conn.socket.destroy(error instanceof Error ? error : new Error(String(error)));
        }
        if (!unit.conn.closed && chunks.length) unit.conn.socket.write(Buffer.concat(chunks));
        const lastType = unit.messages.at(-1)?.[0] ?? 0;
        const unfinished = lastType !== 0x53 /* S */ && lastType !== 0x51 /* Q */ && !unit.conn.startup;
        owner = db.isInTransaction() || unfinished ? unit.conn : null;
        if (unit.conn.closed && owner === unit.conn) await release(unit.conn);
      }
    } finally {
      running = false;
    }
  };

  const release = async (conn: Connection) => {
    if (owner !== conn) return;
    // exec takes PGlite's query lock itself: inside runExclusive it waited for itself forever, and
    // one client dying mid-transaction hung the database for everyone.
    if (db.isInTransaction()) await db.exec("ROLLBACK");
    owner = null;
  };

  const server: Server = createServer((socket) => {
    const conn: Connection = {
      id: nextId++,
      socket,
      buffer: Buffer.alloc(0),
      pending: [],
      startup: true,
      closed: false,
    };
    socket.setNoDelay(true);
    socket.on("data", (data: Buffer) => {
      conn.buffer = Buffer.concat([conn.buffer, data]);
      for (;;) {
        if (conn.startup) {
          if (conn.buffer.length < 8) break;
          const length = conn.buffer.readInt32BE(0);
          const code = conn.buffer.readInt32BE(4);
          if (conn.buffer.length < length) break;
          const message = conn.buffer.subarray(0, length);
          conn.buffer = conn.buffer.subarray(length);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            socket.write("N");
            continue;
          }
          if (code === CANCEL_REQUEST) continue;
          queue.push({ conn, messages: [new Uint8Array(message)], terminate: false });
          conn.startup = false;
          continue;
        }
        if (conn.buffer.length < 5) break;
        const length = 1 + conn.buffer.readInt32BE(1);
        if (conn.buffer.length < length) break;
        const message = conn.buffer.subarray(0, length);
        conn.buffer = conn.buffer.subarray(length);
        const type = message[0];
        if (type === 0x58 /* X */) {
          queue.push({ conn, messages: [], terminate: true });
          continue;
        }
        conn.pending.push(new Uint8Array(message));
        if (type === 0x53 /* S */ || type === 0x51 /* Q */ || type === 0x48 /* H */) {
          queue.push({ conn, messages: conn.pending, terminate: false });
          conn.pending = [];
        }
      }
      void drain();
    });
    const closed = () => {
      if (conn.closed) return;
      conn.closed = true;
      for (let i = queue.length - 1; i >= 0; i--) if (queue[i]?.conn === conn) queue.splice(i, 1);
      queue.push({ conn, messages: [], terminate: true });
      void drain();
    };
    socket.on("close", closed);
    socket.on("error", closed);
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
