-- contrib/postgresql/roles.sql: glia's PostgreSQL roles, least privilege.
--
--   glia_owner  owns the database and every object the migrations create;
--               glia-admin (migrate, import, tokens) connects as it.
--   glia        what the service connects as: LOGIN and nothing else, not
--               the owner of anything; SELECT/INSERT/UPDATE/DELETE table by
--               table (column by column for the UPDATEs of tables it
--               otherwise only reads), as src/api/*.c needs them.
--
-- Run with psql as a superuser (or a role with CREATEROLE and CREATEDB),
-- connected to any database; it creates the roles and the database when
-- missing and connects to the latter itself. Idempotent: run it once before
-- the first `glia-admin migrate` and again after each one (a table the
-- migrations have not created yet is skipped).
--
--   psql -X -v ON_ERROR_STOP=1 -d postgres -f contrib/postgresql/roles.sql
--   psql ... -v dbname=glia -v owner=glia_owner -v runtime=glia -f ...
--
-- Passwords are not set here: use peer authentication on the unix socket
-- (pg_hba.conf: local glia glia,glia_owner peer map=...) or
-- ALTER ROLE ... PASSWORD with a 0600 .pgpass.
\set ON_ERROR_STOP on
\if :{?dbname}
\else
\set dbname glia
\endif
\if :{?owner}
\else
\set owner glia_owner
\endif
\if :{?runtime}
\else
\set runtime glia
\endif

-- Roles: no superuser, no CREATEDB, no CREATEROLE, no replication.
SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'runtime')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'runtime') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE :"runtime" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;
-- Backstops behind glia's own query deadline (RELIABILITY.md §4.5 item 15).
ALTER ROLE :"runtime" SET statement_timeout = '45s';
ALTER ROLE :"runtime" SET lock_timeout = '5s';
ALTER ROLE :"runtime" SET idle_in_transaction_session_timeout = '15s';

SELECT format('CREATE DATABASE %I OWNER %I ENCODING %L', :'dbname', :'owner', 'UTF8')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec
ALTER DATABASE :"dbname" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"dbname" TO :"runtime";

\connect :"dbname"
-- PostgreSQL 15: public belongs to pg_database_owner (glia_owner) and
-- PUBLIC may not create in it; said again for older clusters.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"runtime";

-- Default privileges: what a later migration creates (as glia_owner) is
-- readable by the runtime role and no one else, and its serial columns
-- work; every write stays a grant below. A table this file does not list
-- makes the run fail, so a migration that adds one must add it here.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public REVOKE ALL ON TABLES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT ON TABLES TO :"runtime";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public REVOKE ALL ON SEQUENCES FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE ON SEQUENCES TO :"runtime";

-- Table by table: what the service's statements (src/api/*.c, src/db.c)
-- do. Functions keep PostgreSQL's default EXECUTE for PUBLIC: they run with
-- the caller's rights (none is SECURITY DEFINER), so they give nothing more.
SET glia.runtime = :'runtime';
DO $$
DECLARE
	runtime text := current_setting('glia.runtime');
	grants text[][] := ARRAY[
		-- table                                  privileges
		['agent_group_authorizations',           'SELECT, INSERT, UPDATE (config), DELETE'],	-- kubernetes_config.c: replaced
		['agent_project_authorizations',         'SELECT, INSERT, UPDATE (config), DELETE'],	-- kubernetes_config.c: replaced
		['agent_user_access_group_authorizations', 'SELECT, INSERT, UPDATE (config), DELETE'],	-- kubernetes_config.c: replaced
		['agent_user_access_project_authorizations', 'SELECT, INSERT, UPDATE (config), DELETE'],	-- kubernetes_config.c: replaced
		['alert_management_alerts',              'SELECT, INSERT, UPDATE'],	-- kubernetes_alert.c: upsert
		['ci_minutes_additional_packs',          'SELECT, INSERT, UPDATE (namespace_id)'],	-- minutes.c: add, move
		['cluster_agent_tokens',                 'SELECT, UPDATE (last_used_at)'],	-- kubernetes.c
		['cluster_agents',                       'SELECT'],
		['console_messages',                     'SELECT, INSERT, UPDATE, DELETE'],	-- allowed.c, receive.c
		['deploy_keys_projects',                 'SELECT'],
		['gitlab_subscriptions',                 'SELECT, INSERT, UPDATE'],	-- subscriptions.c
		['glia_schema_migrations',               ''],	-- glia-admin migrate's own
		['keys',                                 'SELECT'],
		['kubernetes_usage_counters',            'SELECT, INSERT, UPDATE'],	-- kubernetes.c: upsert
		['kubernetes_usage_unique_ids',          'SELECT, INSERT'],	-- kubernetes.c: ON CONFLICT DO NOTHING
		['members',                              'SELECT'],
		['namespaces',                           'SELECT'],
		['personal_access_tokens',               'SELECT, INSERT (user_id, name, token_digest, scopes, expires_at), UPDATE (last_used_at)'],	-- account.c, billing.c
		['plans',                                'SELECT'],
		['project_authorizations',               'SELECT'],	-- a view
		['project_features',                     'SELECT'],
		['projects',                             'SELECT'],
		['protected_branch_merge_access_levels', 'SELECT'],
		['protected_branch_push_access_levels',  'SELECT'],
		['protected_branches',                   'SELECT'],
		['protected_tag_create_access_levels',   'SELECT'],
		['protected_tags',                       'SELECT'],
		['redirect_routes',                      'SELECT'],
		['reference_counters',                   'SELECT, INSERT, UPDATE, DELETE'],	-- receive.c
		['routes',                               'SELECT'],
		['snippets',                             'SELECT'],
		['two_factor_otp_sessions',              'SELECT, INSERT (user_id, key_id, expires_at), UPDATE (expires_at)'],	-- otp.c: upsert
		['upcoming_reconciliations',             'SELECT, INSERT, UPDATE'],	-- minutes.c: upsert
		['users',                                'SELECT, UPDATE (otp_backup_codes, consumed_timestep, failed_attempts, locked_at)']	-- account.c, otp.c
	];
	g text[];
	listed text[] := '{}';
	seq text;
	missing text;
BEGIN
	FOREACH g SLICE 1 IN ARRAY grants LOOP
		listed := listed || g[1];
		CONTINUE WHEN to_regclass(format('public.%I', g[1])) IS NULL;	-- not migrated yet
		-- Revoking first makes the list the whole truth (column grants go too).
		EXECUTE format('REVOKE ALL ON TABLE public.%I FROM PUBLIC, %I', g[1], runtime);
		IF g[2] <> '' THEN
			EXECUTE format('GRANT %s ON TABLE public.%I TO %I', g[2], g[1], runtime);
		END IF;
		-- The sequences of the tables it inserts into; none elsewhere.
		FOR seq IN SELECT s.oid::regclass::text FROM pg_class s
			     JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
			    WHERE s.relkind = 'S' AND d.refobjid = format('public.%I', g[1])::regclass LOOP
			EXECUTE format('REVOKE ALL ON SEQUENCE %s FROM PUBLIC, %I', seq, runtime);
			IF g[2] LIKE '%INSERT%' THEN
				EXECUTE format('GRANT USAGE ON SEQUENCE %s TO %I', seq, runtime);
			END IF;
		END LOOP;
	END LOOP;
	SELECT string_agg(c.relname, ', ' ORDER BY c.relname) INTO missing
	  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
	   AND c.relname <> ALL (listed);
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'contrib/postgresql/roles.sql does not say what % may do with: %', runtime, missing
			USING HINT = 'add the tables a migration created to the list of grants';
	END IF;
END $$;
RESET glia.runtime;
