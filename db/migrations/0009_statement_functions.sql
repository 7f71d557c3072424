-- glia's statements, kept in the database for poolers in transaction mode
-- (PgBouncer), where a statement glia prepares on one server connection
-- would be missing on the next (src/stmtfn.h). `glia-admin migrate` fills
-- this schema after the last migration, for every statement of its own
-- version (names carry a hash of the text, so versions never collide):
--
--   * a row of glia_statements.statements, which glia_statements.prepare()
--     PREPAREs under that name: PgBouncer runs it on each new server
--     connection (connect_query in contrib/pgbouncer/pgbouncer.ini), and
--     glia, with db_prepare = pooler, executes the statements by name;
--   * a PL/pgSQL function of the same name running the statement, which
--     glia calls with db_prepare = off, or when a server connection lacks
--     the prepared statement: PostgreSQL caches a function's plans per
--     session, so only a one-line SELECT is planned per request.
--
-- Functions run with the caller's rights (SECURITY INVOKER, the default),
-- and the statements' text is glia's own source: whoever may use the schema
-- can do through it only what the tables already allow, so every role may.
CREATE SCHEMA glia_statements;
GRANT USAGE ON SCHEMA glia_statements TO PUBLIC;

CREATE TABLE glia_statements.statements (
	name text PRIMARY KEY,
	parameter_types text NOT NULL,	-- "bigint, text": PREPARE's list, empty for none
	sql text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON glia_statements.statements TO PUBLIC;

-- Prepares, in the calling session, every statement it has not prepared
-- yet; returns how many it prepared. A statement that no longer prepares
-- (one of an older glia whose table a later migration changed) is skipped:
-- a connect query that failed would cost PgBouncer the server connection.
CREATE FUNCTION glia_statements.prepare() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	s record;
	n integer := 0;
BEGIN
	FOR s IN SELECT st.name, st.parameter_types, st.sql FROM glia_statements.statements st
		WHERE NOT EXISTS (SELECT 1 FROM pg_prepared_statements p WHERE p.name = st.name)
		ORDER BY st.created_at DESC, st.name
	LOOP
		BEGIN
			EXECUTE format('PREPARE %I%s AS %s', s.name,
				CASE WHEN s.parameter_types = '' THEN '' ELSE '(' || s.parameter_types || ')' END, s.sql);
			n := n + 1;
		EXCEPTION WHEN OTHERS THEN
			RAISE LOG 'glia_statements.prepare: % did not prepare: %', s.name, SQLERRM;
		END;
	END LOOP;
	RETURN n;
END $$;
