import { Knex } from 'knex';
import { bindable, engineOf, Queryable, sqliteConnectionOf } from './database';

/**
 * The reads that every review request makes (the signed-in user, the round, the sampled record,
 * its indicators, review and versions), compiled by knex once instead of at every call, and on
 * SQLite run at once on the connection rather than through knex's pool and runner: together
 * those cost more than SQLite itself for these small lookups.
 *
 * `build` writes the query with the builder as usual, using the named values it is given only
 * as bindings (in `where`, `insert` or `update`; not in `limit` or to choose the query's shape).
 * It is called once per engine with stand-ins; every call after that binds the real values into
 * the compiled SQL.
 */
export function preparedRead<V extends Values>(build: (q: Queryable, values: V) => Knex.QueryBuilder) {
  const prepare = preparing(build);
  return async (q: Queryable, values: V): Promise<Array<Record<string, unknown>>> => {
    const { sql, bindings, connection } = prepare(q, values);
    if (connection) {
      try {
        return connection.prepare(sql).all(bindings.map(sqliteValue)) as Array<Record<string, unknown>>;
      } catch {
        // Knex's way below: it waits for a lock, or throws the error as every query does.
      }
    }
    const result = (await q.raw(sql, bindings as Knex.RawBinding[])) as Array<Record<string, unknown>> | { rows: Array<Record<string, unknown>> };
    return Array.isArray(result) ? result : result.rows;
  };
}

/**
 * As `preparedRead`, for an insert, update or delete without `returning`: resolves to the number
 * of rows it changed. A write that fails on the connection is run again through knex, which
 * waits for another process's lock or throws the error as every query does (a failed statement
 * changed nothing).
 */
export function preparedWrite<V extends Values>(build: (q: Queryable, values: V) => Knex.QueryBuilder) {
  const prepare = preparing(build);
  return async (q: Queryable, values: V): Promise<number> => {
    const { sql, bindings, connection } = prepare(q, values);
    if (connection) {
      try {
        return connection.prepare(sql).run(bindings.map(sqliteValue)).changes;
      } catch {
        // Knex's way below.
      }
    }
    const result = (await q.raw(sql, bindings as Knex.RawBinding[])) as { changes?: number; rowCount?: number };
    return Number(result.changes ?? result.rowCount ?? 0);
  };
}

/**
 * The query's SQL for `q`'s engine (compiled at the first call), its bindings for these values,
 * and the SQLite connection when the statement may run on it at once.
 */
function preparing<V extends Values>(build: (q: Queryable, values: V) => Knex.QueryBuilder) {
  const compiled = new Map<string, Compiled>();
  return (q: Queryable, values: V) => {
    const engine = engineOf(q);
    let query = compiled.get(engine);
    if (!query) {
      query = compile(q, build);
      compiled.set(engine, query);
    }
    const { params } = query;
    return {
      sql: query.sql,
      bindings: query.bindings.map((value, i) => (params[i] === null ? value : valueOf(values, params[i]!))),
      connection: engine === 'sqlite' ? sqliteConnectionOf(q) : undefined,
    };
  };
}

/** The values of a prepared statement, by name; null where the column takes NULL. */
type Values = Record<string, Knex.Value>;

const STAND_IN = '\u0000fuhe-value:';

interface Compiled {
  sql: string;
  bindings: unknown[];
  /** For each binding, the name of the value it takes, or null for a value of the query's own. */
  params: Array<string | null>;
}

/** Builds the query once with a stand-in for each value it reads, and notes where each goes. */
function compile<V extends Values>(q: Queryable, build: (q: Queryable, values: V) => Knex.QueryBuilder): Compiled {
  const standIns = new Proxy({}, { get: (_, name) => (typeof name === 'string' ? `${STAND_IN}${name}` : undefined) }) as V;
  const { sql, bindings } = build(q, standIns).toSQL();
  const params = bindings.map((value) => (typeof value === 'string' && value.startsWith(STAND_IN) ? value.slice(STAND_IN.length) : null));
  return { sql, bindings: [...bindings], params };
}

function valueOf(values: Values, name: string): Knex.Value {
  const value = values[name];
  if (value === undefined) throw new Error(`a prepared statement needs the value "${name}"`);
  return value;
}

/** As knex binds a value for better-sqlite3: booleans as 0/1, instants as ISO text. */
const sqliteValue = (value: unknown): unknown => (typeof value === 'boolean' ? Number(value) : bindable(value));
