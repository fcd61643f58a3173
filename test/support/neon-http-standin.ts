/**
 * A local stand-in for Neon's HTTP SQL endpoint, backed by a real PostgreSQL through node-postgres.
 * It speaks the protocol @neondatabase/serverless's `neon()` uses: a POST of
 * `{"query","params"}` (or `{"queries":[...]}` for a transaction) with the target database in the
 * `Neon-Connection-String` header, answered with `{"command","rowCount","fields","rows"}` where
 * each field carries its `dataTypeID` and rows hold Postgres' text output, so the driver's own
 * type parsers run. Database errors come back as HTTP 400 with the Postgres error fields.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { z } from 'zod';

export interface NeonHttpStandin {
  /** The value for NEON_FETCH_ENDPOINT / `neonConfig.fetchEndpoint`. */
  url: string;
  /** How many SQL statements it ran: proof that queries really went over HTTP. */
  readonly statements: number;
  close(): Promise<void>;
}

const queryBodySchema = z.strictObject({
  query: z.string(),
  params: z.array(z.union([z.string(), z.null()])).default([]),
});
const requestBodySchema = z.union([
  queryBodySchema,
  z.strictObject({ queries: z.array(queryBodySchema) }),
]);
type QueryBody = z.infer<typeof queryBodySchema>;

/** The same field names Neon copies from a Postgres error (the driver's `errorFields`). */
const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

const ISOLATION_LEVELS: Record<string, string> = {
  ReadUncommitted: 'read uncommitted',
  ReadCommitted: 'read committed',
  RepeatableRead: 'repeatable read',
  Serializable: 'serializable',
};

/** Neon returns Postgres' text output untouched; the client parses it by dataTypeID. */
const rawText: pg.CustomTypesConfig = { getTypeParser: () => (value: string) => value };

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function startNeonHttpStandin(): Promise<NeonHttpStandin> {
  const pools = new Map<string, pg.Pool>();
  let statements = 0;

  const poolFor = (connectionString: string) => {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({ connectionString, max: 4 });
      // A test that stops or drops the database kills idle connections; the next query reports it.
      pool.on('error', () => {});
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const run = async (client: pg.PoolClient, body: QueryBody, arrayMode: boolean) => {
    statements += 1;
    const result = await client.query({
      text: body.query,
      values: body.params,
      rowMode: 'array',
      types: rawText,
    });
    const names = result.fields.map((field) => field.name);
    const rows = (result.rows as (string | null)[][]).map((row) =>
      arrayMode ? row : Object.fromEntries(row.map((value, i) => [names[i], value])),
    );
    return {
      command: result.command,
      rowCount: result.rowCount,
      fields: result.fields,
      rows,
      rowAsArray: arrayMode,
    };
  };

  const handle = async (request: IncomingMessage): Promise<unknown> => {
    if (request.method !== 'POST') throw new HttpError(405, 'only POST is supported');
    const connectionString = request.headers['neon-connection-string'];
    if (typeof connectionString !== 'string') {
      throw new HttpError(400, 'missing Neon-Connection-String header');
    }
    if (request.headers['neon-raw-text-output'] !== 'true') {
      throw new HttpError(400, 'this stand-in only serves Neon-Raw-Text-Output: true');
    }
    const arrayMode = request.headers['neon-array-mode'] === 'true';
    const parsed = requestBodySchema.safeParse(JSON.parse(await readBody(request)));
    if (!parsed.success) throw new HttpError(400, 'malformed request body');

    let client: pg.PoolClient;
    try {
      client = await poolFor(connectionString).connect();
    } catch (error) {
      throw new HttpError(500, `could not connect to the database: ${String(error)}`);
    }
    try {
      if ('query' in parsed.data) return await run(client, parsed.data, arrayMode);
      await client.query(beginStatement(request));
      try {
        const results = [];
        for (const query of parsed.data.queries) results.push(await run(client, query, arrayMode));
        await client.query('commit');
        return { results };
      } catch (error) {
        await client.query('rollback');
        throw error;
      }
    } finally {
      client.release();
    }
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    handle(request).then(
      (body) => send(response, 200, body),
      (error: unknown) => {
        if (error instanceof HttpError) send(response, error.status, { message: error.message });
        else if (error instanceof pg.DatabaseError) send(response, 400, databaseErrorBody(error));
        else send(response, 500, { message: String(error) });
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/sql`,
    get statements() {
      return statements;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([...pools.values()].map((pool) => pool.end()));
    },
  };
}

function beginStatement(request: IncomingMessage): string {
  const level = request.headers['neon-batch-isolation-level'];
  const readOnly = request.headers['neon-batch-read-only'] === 'true';
  const deferrable = request.headers['neon-batch-deferrable'] === 'true';
  const parts = ['begin'];
  if (typeof level === 'string' && ISOLATION_LEVELS[level]) {
    parts.push(`isolation level ${ISOLATION_LEVELS[level]}`);
  }
  if (readOnly) parts.push('read only');
  if (deferrable) parts.push('deferrable');
  return parts.join(' ');
}

function databaseErrorBody(error: pg.DatabaseError): Record<string, unknown> {
  const body: Record<string, unknown> = { message: error.message };
  for (const field of ERROR_FIELDS) body[field] = error[field];
  return body;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
