-- contrib/bench/data.sql: the generated data set of contrib/bench/run.
--
--   psql -v rows=N -f contrib/bench/data.sql   (as a superuser, into glia's database)
--
-- N users (user1..userN, each with its user namespace and one ed25519-shaped
-- key), N/10 groups (group1..), N projects (group<(i-1)%G+1>/project<i>,
-- each with a protected branch "main"), user i a Developer of project i and
-- a Reporter of its group, a subscription per group. Bulk INSERT ... SELECT
-- with triggers off (session_replication_role = replica): what the triggers
-- would write (namespaces, routes, traversal_ids, project_features) is
-- written here directly. Replaces whatever the tables held.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET session_replication_role = replica;
SET maintenance_work_mem = '256MB';
SET synchronous_commit = off;

BEGIN;
TRUNCATE users, namespaces, routes, redirect_routes, projects, project_features, members, keys,
	deploy_keys_projects, protected_branches, protected_branch_push_access_levels,
	protected_branch_merge_access_levels, protected_tags, protected_tag_create_access_levels,
	personal_access_tokens, cluster_agents, cluster_agent_tokens, gitlab_subscriptions,
	ci_minutes_additional_packs, upcoming_reconciliations, reference_counters, snippets,
	console_messages, kubernetes_usage_counters, alert_management_alerts
	-- and whatever later migrations hang off these tables (OTP sessions,
	-- agent authorizations): a new table must not break the benchmark.
	CASCADE;

SELECT :rows AS n, greatest(:rows / 10, 1) AS g \gset

INSERT INTO users (id, username, name, email)
SELECT i, 'user' || i, 'User ' || i, 'user' || i || '@bench.example.com' FROM generate_series(1, :n) i;

-- User namespaces share their owner's id; groups follow.
INSERT INTO namespaces (id, name, path, type, owner_id, visibility_level, traversal_ids)
SELECT i, 'User ' || i, 'user' || i, 'User', i, 20, ARRAY[i::bigint] FROM generate_series(1, :n) i;
INSERT INTO namespaces (id, name, path, type, visibility_level, traversal_ids)
SELECT :n + j, 'Group ' || j, 'group' || j, 'Group', 0, ARRAY[(:n + j)::bigint] FROM generate_series(1, :g) j;
INSERT INTO routes (namespace_id, path)
SELECT id, path FROM namespaces;

INSERT INTO projects (id, namespace_id, path, name, visibility_level, default_branch)
SELECT i, :n + (i - 1) % :g + 1, 'project' || i, 'project' || i, 0, 'main' FROM generate_series(1, :n) i;
INSERT INTO routes (project_id, path)
SELECT i, 'group' || ((i - 1) % :g + 1) || '/project' || i FROM generate_series(1, :n) i;
INSERT INTO project_features (project_id) SELECT i FROM generate_series(1, :n) i;

INSERT INTO members (user_id, project_id, access_level)
SELECT i, i, 30 FROM generate_series(1, :n) i;
INSERT INTO members (user_id, namespace_id, access_level)
SELECT i, :n + (i - 1) % :g + 1, 20 FROM generate_series(1, :n) i;

-- ssh-ed25519 blobs: string "ssh-ed25519", string of 32 bytes (sha256 of i).
-- created_at fixed, as gitlab-data.sql writes it: the answers of both
-- schemas compare byte for byte.
INSERT INTO keys (id, user_id, title, key, fingerprint_sha256, fingerprint, created_at)
SELECT i, i, 'user' || i || '@bench',
       'ssh-ed25519 ' || encode(b, 'base64'),
       rtrim(encode(sha256(b), 'base64'), '='),
       regexp_replace(md5(b), '(..)(?!$)', '\1:', 'g'), TIMESTAMPTZ '2026-01-01 00:00:00+00'
  FROM (SELECT i, '\x0000000b'::bytea || 'ssh-ed25519'::bytea || '\x00000020'::bytea
		  || sha256(('bench-key-' || i)::bytea) AS b
	  FROM generate_series(1, :n) i) k;

INSERT INTO protected_branches (id, project_id, name) SELECT i, i, 'main' FROM generate_series(1, :n) i;
INSERT INTO protected_branch_push_access_levels (protected_branch_id, access_level)
SELECT i, 40 FROM generate_series(1, :n) i;
INSERT INTO protected_branch_merge_access_levels (protected_branch_id, access_level)
SELECT i, 30 FROM generate_series(1, :n) i;

INSERT INTO gitlab_subscriptions (namespace_id, hosted_plan_id, seats, start_date, end_date)
SELECT :n + j, (SELECT id FROM plans WHERE name = 'premium'), 10, DATE '2026-01-01', DATE '2027-01-01'
  FROM generate_series(1, :g) j;

SELECT setval('users_id_seq', :n + 1, false), setval('namespaces_id_seq', :n + :g + 1, false),
       setval('projects_id_seq', :n + 1, false), setval('keys_id_seq', :n + 1, false),
       setval('protected_branches_id_seq', :n + 1, false);
COMMIT;

SET session_replication_role = origin;
ANALYZE;
