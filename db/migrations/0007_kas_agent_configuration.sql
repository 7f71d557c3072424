-- What an agent's configuration file authorizes, as kas posts it to
-- /internal/kubernetes/agent_configuration: the projects and groups of its
-- ci_access and of its user_access, each with the config GitLab keeps
-- (GitLab's Clusters::Agents::Authorizations::CiAccess::RefreshService and
-- UserAccess::RefreshService, and their four tables of these names).
--
-- Applied by `glia-admin migrate` inside one transaction, like 0001.

-- ci_access: the entry of the configuration file without its id
-- ({"default_namespace": ..., "access_as": ..., "environments": [...]}).
CREATE TABLE agent_project_authorizations (
	agent_id bigint NOT NULL REFERENCES cluster_agents ON DELETE CASCADE,
	project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
	config jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
	PRIMARY KEY (agent_id, project_id)
);
CREATE INDEX index_agent_project_authorizations_on_project_id ON agent_project_authorizations (project_id);

CREATE TABLE agent_group_authorizations (
	agent_id bigint NOT NULL REFERENCES cluster_agents ON DELETE CASCADE,
	group_id bigint NOT NULL REFERENCES namespaces ON DELETE CASCADE,
	config jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
	PRIMARY KEY (agent_id, group_id)
);
CREATE INDEX index_agent_group_authorizations_on_group_id ON agent_group_authorizations (group_id);

-- user_access: every row of an agent holds the same config, the file's
-- user_access.access_as ({"access_as": {"agent": {}}}, or {} without one).
CREATE TABLE agent_user_access_project_authorizations (
	agent_id bigint NOT NULL REFERENCES cluster_agents ON DELETE CASCADE,
	project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
	config jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
	PRIMARY KEY (agent_id, project_id)
);
CREATE INDEX index_agent_user_access_project_authorizations_on_project_id
	ON agent_user_access_project_authorizations (project_id);

CREATE TABLE agent_user_access_group_authorizations (
	agent_id bigint NOT NULL REFERENCES cluster_agents ON DELETE CASCADE,
	group_id bigint NOT NULL REFERENCES namespaces ON DELETE CASCADE,
	config jsonb NOT NULL CHECK (jsonb_typeof(config) = 'object'),
	PRIMARY KEY (agent_id, group_id)
);
CREATE INDEX index_agent_user_access_group_authorizations_on_group_id
	ON agent_user_access_group_authorizations (group_id);

-- The projects, or groups, that a list of entries ([{"id": full path,
-- "config": {...}}, ...]) names inside the root namespace root, each with
-- the config of the last entry that names it. Full paths are matched
-- case-insensitively (GitLab's where_full_path_in), redirects are not
-- followed. A user namespace holds no groups, so it names none.
CREATE FUNCTION glia_kas_named_projects(root bigint, entries jsonb) RETURNS TABLE (id bigint, config jsonb)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT ON (p.id) p.id, coalesce(e.value->'config', '{}')
	  FROM jsonb_array_elements(coalesce(entries, '[]')) WITH ORDINALITY AS e (value, i)
	  JOIN routes r ON lower(r.path) = lower(e.value->>'id')
	  JOIN projects p ON p.id = r.project_id
	  JOIN namespaces n ON n.id = p.namespace_id
	 WHERE n.traversal_ids[1] = root
	 ORDER BY p.id, e.i DESC
$$;

CREATE FUNCTION glia_kas_named_groups(root bigint, entries jsonb) RETURNS TABLE (id bigint, config jsonb)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT ON (g.id) g.id, coalesce(e.value->'config', '{}')
	  FROM jsonb_array_elements(coalesce(entries, '[]')) WITH ORDINALITY AS e (value, i)
	  JOIN routes r ON lower(r.path) = lower(e.value->>'id')
	  JOIN namespaces g ON g.id = r.namespace_id
	 WHERE g.type = 'Group' AND g.traversal_ids[1] = root
	 ORDER BY g.id, e.i DESC
$$;

-- Replaces what an agent's configuration authorizes; false when there is no
-- such agent (then nothing is written). ci_access and user_access are what
-- src/api/kubernetes_config.c made of the file, checked there:
--
--   ci_access   {"projects": [{"id": "group/project", "config": {...}}, ...],
--                "groups":   [{"id": "group", "config": {...}}, ...]}
--   user_access {"projects": [{"id": ...}, ...], "groups": [...],
--                "config": {"access_as": ...}}
--
-- As GitLab: only what lies in the root namespace of the agent's project
-- counts; what is not named any more loses its authorization; every
-- user_access row holds user_access's config.
--
-- A function, not one statement of CTEs, because its statements must
-- follow one another: under the lock (GitLab's agent.with_lock) each takes
-- a fresh snapshot, so a configuration that another kas posts meanwhile is
-- replaced, not merged with this one. It runs with the caller's rights.
CREATE FUNCTION glia_kas_agent_configure(agent bigint, ci_access jsonb, user_access jsonb)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	root bigint;
	ua_config jsonb := coalesce(user_access->'config', '{}');
BEGIN
	-- Two int4 keys: a key space apart from glia-admin's bigint ones.
	PERFORM pg_advisory_xact_lock(1735158115, hashint8(agent));
	SELECT n.traversal_ids[1] INTO root
	  FROM cluster_agents a JOIN projects p ON p.id = a.project_id JOIN namespaces n ON n.id = p.namespace_id
	 WHERE a.id = agent;
	IF NOT FOUND THEN
		RETURN false;
	END IF;

	WITH wanted AS (SELECT * FROM glia_kas_named_projects(root, ci_access->'projects')),
	     gone AS (DELETE FROM agent_project_authorizations t
		       WHERE t.agent_id = agent AND t.project_id NOT IN (SELECT w.id FROM wanted w))
	INSERT INTO agent_project_authorizations AS t (agent_id, project_id, config)
	SELECT agent, w.id, w.config FROM wanted w
	ON CONFLICT (agent_id, project_id) DO UPDATE SET config = EXCLUDED.config
	 WHERE t.config IS DISTINCT FROM EXCLUDED.config;

	WITH wanted AS (SELECT * FROM glia_kas_named_groups(root, ci_access->'groups')),
	     gone AS (DELETE FROM agent_group_authorizations t
		       WHERE t.agent_id = agent AND t.group_id NOT IN (SELECT w.id FROM wanted w))
	INSERT INTO agent_group_authorizations AS t (agent_id, group_id, config)
	SELECT agent, w.id, w.config FROM wanted w
	ON CONFLICT (agent_id, group_id) DO UPDATE SET config = EXCLUDED.config
	 WHERE t.config IS DISTINCT FROM EXCLUDED.config;

	WITH wanted AS (SELECT * FROM glia_kas_named_projects(root, user_access->'projects')),
	     gone AS (DELETE FROM agent_user_access_project_authorizations t
		       WHERE t.agent_id = agent AND t.project_id NOT IN (SELECT w.id FROM wanted w))
	INSERT INTO agent_user_access_project_authorizations AS t (agent_id, project_id, config)
	SELECT agent, w.id, ua_config FROM wanted w
	ON CONFLICT (agent_id, project_id) DO UPDATE SET config = EXCLUDED.config
	 WHERE t.config IS DISTINCT FROM EXCLUDED.config;

	WITH wanted AS (SELECT * FROM glia_kas_named_groups(root, user_access->'groups')),
	     gone AS (DELETE FROM agent_user_access_group_authorizations t
		       WHERE t.agent_id = agent AND t.group_id NOT IN (SELECT w.id FROM wanted w))
	INSERT INTO agent_user_access_group_authorizations AS t (agent_id, group_id, config)
	SELECT agent, w.id, ua_config FROM wanted w
	ON CONFLICT (agent_id, group_id) DO UPDATE SET config = EXCLUDED.config
	 WHERE t.config IS DISTINCT FROM EXCLUDED.config;
	RETURN true;
END $$;
