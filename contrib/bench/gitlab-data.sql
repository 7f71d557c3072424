-- contrib/bench/gitlab-data.sql: data.sql's data set in GitLab's own tables,
-- for glia's schema = gitlab (contrib/bench/run --gitlab).
--
--   psql -v rows=N -d gitlab -f contrib/bench/gitlab-data.sql
--
-- into a database loaded from ../shared/gitlab/schema-subset.sql (GitLab's
-- db/structure.sql): the same users, groups, projects, keys and protected
-- branches as data.sql writes into glia's tables, with the same ids, paths
-- and key bodies, written as Rails writes them: a namespace of type Project
-- per project, routes with their source, fingerprint_sha256 as raw SHA-256,
-- hashed storage paths in project_repositories, and project_authorizations
-- as Rails' AuthorizedProjectsWorker keeps it (the highest level of each
-- user on each project: Developer of its project, Reporter of the other
-- projects of its group). Replaces whatever those tables held.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET maintenance_work_mem = '256MB';
SET synchronous_commit = off;

BEGIN;
TRUNCATE users, namespaces, routes, redirect_routes, projects, project_features, project_repositories, shards,
	project_authorizations, keys, deploy_keys_projects, protected_branches, protected_branch_push_access_levels,
	protected_branch_merge_access_levels, protected_tags, protected_tag_create_access_levels;

SELECT :rows AS n, greatest(:rows / 10, 1) AS g \gset

INSERT INTO shards (id, name) VALUES (1, 'default');

INSERT INTO users (id, username, name, email, state, user_type, projects_limit, created_at, updated_at)
SELECT i, 'user' || i, 'User ' || i, 'user' || i || '@bench.example.com', 'active', 0, 100000, now(), now()
  FROM generate_series(1, :n) i;

-- User namespaces share their owner's id; groups follow; then a namespace
-- of type Project for each project (n + g + project id).
INSERT INTO namespaces (id, name, path, type, owner_id, visibility_level, traversal_ids, organization_id,
	created_at, updated_at)
SELECT i, 'User ' || i, 'user' || i, 'User', i, 20, ARRAY[i::bigint], 1, now(), now() FROM generate_series(1, :n) i;
INSERT INTO namespaces (id, name, path, type, visibility_level, traversal_ids, organization_id, created_at, updated_at)
SELECT :n + j, 'Group ' || j, 'group' || j, 'Group', 0, ARRAY[(:n + j)::bigint], 1, now(), now()
  FROM generate_series(1, :g) j;
INSERT INTO namespaces (id, name, path, type, parent_id, visibility_level, traversal_ids, organization_id,
	created_at, updated_at)
SELECT :n + :g + i, 'project' || i, 'project' || i, 'Project', :n + (i - 1) % :g + 1, 0,
       ARRAY[(:n + (i - 1) % :g + 1)::bigint, (:n + :g + i)::bigint], 1, now(), now()
  FROM generate_series(1, :n) i;

INSERT INTO projects (id, name, path, namespace_id, project_namespace_id, visibility_level, archived,
	repository_storage, repository_read_only, lfs_enabled, organization_id, storage_version, created_at, updated_at)
SELECT i, 'project' || i, 'project' || i, :n + (i - 1) % :g + 1, :n + :g + i, 0, false, 'default', false, true,
       1, 2, now(), now()
  FROM generate_series(1, :n) i;
INSERT INTO project_features (id, project_id, repository_access_level, wiki_access_level, snippets_access_level,
	merge_requests_access_level, pages_access_level, created_at, updated_at)
SELECT i, i, 20, 20, 20, 20, 20, now(), now() FROM generate_series(1, :n) i;
INSERT INTO project_repositories (id, shard_id, disk_path, project_id)
SELECT i, 1, '@hashed/' || substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h, i
  FROM (SELECT i, encode(sha256(i::text::bytea), 'hex') AS h FROM generate_series(1, :n) i) p;

INSERT INTO routes (id, source_id, source_type, path, namespace_id, created_at, updated_at)
SELECT id, id, 'Namespace', path, id, now(), now() FROM namespaces WHERE type <> 'Project';
INSERT INTO routes (id, source_id, source_type, path, namespace_id, created_at, updated_at)
SELECT :n + :g + i, i, 'Project', 'group' || ((i - 1) % :g + 1) || '/project' || i, :n + :g + i, now(), now()
  FROM generate_series(1, :n) i;

-- Developer (30) of project i, Reporter (20) of the rest of its group's.
INSERT INTO project_authorizations (user_id, project_id, access_level, is_unique)
SELECT u, p, CASE WHEN p = u THEN 30 ELSE 20 END, true
  FROM generate_series(1, :n) u, generate_series((u - 1) % :g + 1, :n, :g) p;

-- The same ssh-ed25519 blobs as data.sql; fingerprint_sha256 the raw
-- digest; created_at as data.sql's, in UTC without a zone as Rails keeps it.
INSERT INTO keys (id, user_id, title, key, fingerprint, fingerprint_sha256, public, usage_type, created_at, updated_at)
SELECT i, i, 'user' || i || '@bench', 'ssh-ed25519 ' || encode(b, 'base64'),
       regexp_replace(md5(b), '(..)(?!$)', '\1:', 'g'), sha256(b), false, 0, TIMESTAMP '2026-01-01 00:00:00', now()
  FROM (SELECT i, '\x0000000b'::bytea || 'ssh-ed25519'::bytea || '\x00000020'::bytea
		  || sha256(('bench-key-' || i)::bytea) AS b
	  FROM generate_series(1, :n) i) k;

INSERT INTO protected_branches (id, project_id, name, allow_force_push, created_at, updated_at)
SELECT i, i, 'main', false, now(), now() FROM generate_series(1, :n) i;
INSERT INTO protected_branch_push_access_levels (id, protected_branch_id, access_level, created_at, updated_at)
SELECT i, i, 40, now(), now() FROM generate_series(1, :n) i;
INSERT INTO protected_branch_merge_access_levels (id, protected_branch_id, access_level, created_at, updated_at)
SELECT i, i, 30, now(), now() FROM generate_series(1, :n) i;
COMMIT;

ANALYZE;
