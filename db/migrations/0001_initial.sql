-- glia's initial schema: GitLab's tables and column names where the concept is
-- the same, reduced to what the internal API reads and writes.
--
-- Applied by `glia-admin migrate` inside one transaction, with its row in
-- glia_schema_migrations; so this file has no BEGIN/COMMIT of its own.
--
-- Derived data is kept by triggers in the database, not by its writers, so
-- that glia, glia-admin and psql cannot disagree: routes (full paths),
-- namespaces.traversal_ids, the namespace of each user, the default
-- project_features row, updated_at. project_authorizations is a view.
--
-- GitLab's levels, used by CHECK constraints below:
--   visibility_level: 0 private, 10 internal, 20 public
--   access_level:     10 guest, 20 reporter, 30 developer, 40 maintainer, 50 owner
--   protected refs:   0 no one, 30 developers + maintainers, 40 maintainers, 60 admins

-- updated_at follows every UPDATE unless the statement sets it itself.
CREATE FUNCTION glia_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
		NEW.updated_at := now();
	END IF;
	RETURN NEW;
END $$;

-- One path segment of a user, group or project, as GitLab's PathRegex:
-- letters, digits, '_', '-', '.'; not starting with '-', not ending with '.';
-- no '.git' or '.atom' suffix (they would be read as a repository URL).
CREATE FUNCTION glia_valid_path(p text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT length(p) BETWEEN 1 AND 255
	   AND p ~ '^([A-Za-z0-9_.][A-Za-z0-9_.-]*[A-Za-z0-9_-]|[A-Za-z0-9_])$'
	   AND lower(p) !~ '\.(git|atom)$'
$$;

-- Users -------------------------------------------------------------------

CREATE TABLE users (
	id bigserial PRIMARY KEY,
	username text NOT NULL CHECK (glia_valid_path(username)),
	name text NOT NULL DEFAULT '' CHECK (length(name) <= 255),
	email text CHECK (email IS NULL OR (length(email) <= 255 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
	state text NOT NULL DEFAULT 'active'
		CHECK (state IN ('active', 'blocked', 'deactivated', 'blocked_pending_approval', 'ldap_blocked')),
	admin boolean NOT NULL DEFAULT false,
	external boolean NOT NULL DEFAULT false,
	-- GitLab's user_type enum; NULL is a human. 1 support_bot, 2 alert_bot,
	-- 3 visual_review_bot, 4 service_user, 5 ghost, 6 project_bot,
	-- 7 migration_bot, 8 security_bot, 9 automation_bot, and later ones.
	user_type smallint CHECK (user_type BETWEEN 1 AND 20),
	-- Two-factor authentication: enabled flag and the recovery codes, each
	-- stored only as a slow hash (devise-two-factor's otp_backup_codes).
	otp_required_for_login boolean NOT NULL DEFAULT false,
	otp_backup_codes text[],
	last_activity_on date,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX index_users_on_lower_username ON users (lower(username));
CREATE UNIQUE INDEX index_users_on_lower_email ON users (lower(email)) WHERE email IS NOT NULL;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Namespaces and routes ---------------------------------------------------

-- A user's personal namespace (type 'User', path = username) or a group,
-- possibly nested (parent_id). traversal_ids lists the ids from the root
-- down to the row itself, as GitLab's column of that name: "is X inside
-- group G" is `G = ANY(X.traversal_ids)`.
CREATE TABLE namespaces (
	id bigserial PRIMARY KEY,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	path text NOT NULL CHECK (glia_valid_path(path)),
	type text NOT NULL CHECK (type IN ('User', 'Group')),
	parent_id bigint REFERENCES namespaces ON DELETE CASCADE,
	owner_id bigint REFERENCES users ON DELETE CASCADE,
	visibility_level integer NOT NULL DEFAULT 0 CHECK (visibility_level IN (0, 10, 20)),
	traversal_ids bigint[] NOT NULL DEFAULT '{}' CHECK (cardinality(traversal_ids) <= 20),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (type = 'Group' OR (parent_id IS NULL AND owner_id IS NOT NULL))
);
CREATE INDEX index_namespaces_on_parent_id ON namespaces (parent_id);
CREATE UNIQUE INDEX index_namespaces_on_owner_id_user ON namespaces (owner_id) WHERE type = 'User';
CREATE INDEX index_namespaces_on_traversal_ids ON namespaces USING gin (traversal_ids);
CREATE TRIGGER namespaces_touch BEFORE UPDATE ON namespaces FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- The full path of every group, user namespace and project ("gnuwget/wget2"),
-- one table so that a URL names one thing: a group and a project cannot share
-- a path, case-insensitively. Kept by the triggers below.
CREATE TABLE routes (
	id bigserial PRIMARY KEY,
	namespace_id bigint UNIQUE REFERENCES namespaces ON DELETE CASCADE,
	project_id bigint UNIQUE,	-- REFERENCES projects, added below
	-- GitLab's polymorphic pair, derived from the two keys above.
	source_type text GENERATED ALWAYS AS (CASE WHEN project_id IS NULL THEN 'Namespace' ELSE 'Project' END) STORED,
	source_id bigint GENERATED ALWAYS AS (coalesce(project_id, namespace_id)) STORED,
	path text NOT NULL CHECK (length(path) <= 2048),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(namespace_id, project_id) = 1),
	-- "snippets/5" names a personal snippet, so no top-level "snippets".
	CHECK (lower(split_part(path, '/', 1)) <> 'snippets')
);
CREATE UNIQUE INDEX index_routes_on_lower_path ON routes (lower(path));
CREATE INDEX index_routes_on_path_pattern ON routes (lower(path) text_pattern_ops);
CREATE TRIGGER routes_touch BEFORE UPDATE ON routes FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Old paths after a rename or transfer, which GitLab follows with a
-- "project moved" message. glia-admin does not rename yet; the service reads.
CREATE TABLE redirect_routes (
	id bigserial PRIMARY KEY,
	namespace_id bigint REFERENCES namespaces ON DELETE CASCADE,
	project_id bigint,	-- REFERENCES projects, added below
	path text NOT NULL CHECK (length(path) <= 2048),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(namespace_id, project_id) = 1)
);
CREATE UNIQUE INDEX index_redirect_routes_on_lower_path ON redirect_routes (lower(path));

-- traversal_ids on insert and on a move; a group cannot go under itself and
-- only groups have children.
CREATE FUNCTION glia_namespace_traversal() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	parent_type text;
	parent_ids bigint[];
BEGIN
	IF TG_OP = 'UPDATE' AND NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id THEN
		RETURN NEW;
	END IF;
	IF NEW.parent_id IS NULL THEN
		NEW.traversal_ids := ARRAY[NEW.id];
		RETURN NEW;
	END IF;
	SELECT type, traversal_ids INTO parent_type, parent_ids FROM namespaces WHERE id = NEW.parent_id;
	IF parent_type IS DISTINCT FROM 'Group' THEN
		RAISE EXCEPTION 'the parent of a group must be a group' USING ERRCODE = 'check_violation';
	END IF;
	IF NEW.id = ANY (parent_ids) THEN
		RAISE EXCEPTION 'a group cannot be moved inside itself' USING ERRCODE = 'check_violation';
	END IF;
	NEW.traversal_ids := parent_ids || NEW.id;
	RETURN NEW;
END $$;
CREATE TRIGGER namespaces_traversal BEFORE INSERT OR UPDATE ON namespaces
	FOR EACH ROW EXECUTE FUNCTION glia_namespace_traversal();

-- After a move, the descendants' traversal_ids and everyone's route below it;
-- after a rename, the routes below it.
CREATE FUNCTION glia_namespace_routes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	new_path text;
	old_path text;
BEGIN
	IF NEW.parent_id IS NULL THEN
		new_path := NEW.path;
	ELSE
		SELECT path || '/' || NEW.path INTO new_path FROM routes WHERE namespace_id = NEW.parent_id;
	END IF;
	IF TG_OP = 'INSERT' THEN
		INSERT INTO routes (namespace_id, path) VALUES (NEW.id, new_path);
		RETURN NULL;
	END IF;
	IF NEW.parent_id IS DISTINCT FROM OLD.parent_id THEN
		UPDATE namespaces
		   SET traversal_ids = NEW.traversal_ids || traversal_ids[array_position(traversal_ids, NEW.id) + 1 :]
		 WHERE traversal_ids @> ARRAY[NEW.id] AND id <> NEW.id;
	END IF;
	SELECT path INTO old_path FROM routes WHERE namespace_id = NEW.id;
	IF old_path IS DISTINCT FROM new_path THEN
		UPDATE routes SET path = new_path || substr(path, length(old_path) + 1)
		 WHERE namespace_id IN (SELECT id FROM namespaces WHERE traversal_ids @> ARRAY[NEW.id])
		    OR project_id IN (SELECT p.id FROM projects p JOIN namespaces n ON n.id = p.namespace_id
				       WHERE n.traversal_ids @> ARRAY[NEW.id]);
	END IF;
	RETURN NULL;
END $$;

-- Every user has a personal namespace named after them, as in GitLab.
CREATE FUNCTION glia_user_namespace() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO namespaces (type, path, name, owner_id, visibility_level)
		VALUES ('User', NEW.username, coalesce(nullif(NEW.name, ''), NEW.username), NEW.id, 20);
	ELSE
		UPDATE namespaces SET path = NEW.username, name = coalesce(nullif(NEW.name, ''), NEW.username)
		 WHERE type = 'User' AND owner_id = NEW.id
		   AND (path, name) IS DISTINCT FROM (NEW.username, coalesce(nullif(NEW.name, ''), NEW.username));
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER users_namespace AFTER INSERT OR UPDATE OF username, name ON users
	FOR EACH ROW EXECUTE FUNCTION glia_user_namespace();

-- Projects ----------------------------------------------------------------

CREATE TABLE projects (
	id bigserial PRIMARY KEY,
	namespace_id bigint NOT NULL REFERENCES namespaces ON DELETE CASCADE,
	-- "x.wiki" and "x.design" would be read as the wiki or designs of "x".
	path text NOT NULL CHECK (glia_valid_path(path) AND lower(path) !~ '\.(wiki|design)$'),
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	description text,
	visibility_level integer NOT NULL DEFAULT 0 CHECK (visibility_level IN (0, 10, 20)),
	archived boolean NOT NULL DEFAULT false,
	repository_storage text NOT NULL DEFAULT 'default' CHECK (length(repository_storage) BETWEEN 1 AND 255),
	repository_read_only boolean NOT NULL DEFAULT false,
	default_branch text CHECK (length(default_branch) BETWEEN 1 AND 255),
	lfs_enabled boolean NOT NULL DEFAULT true,
	-- Hashed storage: the repository is <disk_path>.git on its Gitaly storage,
	-- @hashed/<h[0:2]>/<h[2:4]>/<h> with h = hex SHA-256 of the decimal id.
	disk_path text GENERATED ALWAYS AS (
		'@hashed/' || substr(encode(sha256(id::text::bytea), 'hex'), 1, 2) || '/' ||
		substr(encode(sha256(id::text::bytea), 'hex'), 3, 2) || '/' ||
		encode(sha256(id::text::bytea), 'hex')) STORED,
	last_activity_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_projects_on_namespace_id ON projects (namespace_id);
CREATE TRIGGER projects_touch BEFORE UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

ALTER TABLE routes ADD FOREIGN KEY (project_id) REFERENCES projects ON DELETE CASCADE;
ALTER TABLE redirect_routes ADD FOREIGN KEY (project_id) REFERENCES projects ON DELETE CASCADE;

CREATE TRIGGER namespaces_routes AFTER INSERT OR UPDATE OF path, parent_id ON namespaces
	FOR EACH ROW EXECUTE FUNCTION glia_namespace_routes();

-- Per-feature access of a project (GitLab's ProjectFeature): 0 disabled,
-- 10 private (members only), 20 enabled (as the project), 30 public.
CREATE TABLE project_features (
	project_id bigint PRIMARY KEY REFERENCES projects ON DELETE CASCADE,
	repository_access_level integer NOT NULL DEFAULT 20 CHECK (repository_access_level IN (0, 10, 20, 30)),
	wiki_access_level integer NOT NULL DEFAULT 20 CHECK (wiki_access_level IN (0, 10, 20, 30)),
	snippets_access_level integer NOT NULL DEFAULT 20 CHECK (snippets_access_level IN (0, 10, 20, 30)),
	merge_requests_access_level integer NOT NULL DEFAULT 20 CHECK (merge_requests_access_level IN (0, 10, 20, 30)),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER project_features_touch BEFORE UPDATE ON project_features
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- A new project's route and default features; a renamed or moved project's route.
CREATE FUNCTION glia_project_route() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	new_path text;
BEGIN
	SELECT path || '/' || NEW.path INTO new_path FROM routes WHERE namespace_id = NEW.namespace_id;
	IF TG_OP = 'INSERT' THEN
		INSERT INTO routes (project_id, path) VALUES (NEW.id, new_path);
		INSERT INTO project_features (project_id) VALUES (NEW.id);
	ELSE
		UPDATE routes SET path = new_path WHERE project_id = NEW.id AND path IS DISTINCT FROM new_path;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER projects_route AFTER INSERT OR UPDATE OF path, namespace_id ON projects
	FOR EACH ROW EXECUTE FUNCTION glia_project_route();

-- Membership and authorization ----------------------------------------------

-- A user's role in a project or in a group (and so in its subgroups and
-- their projects). GitLab's source_type/source_id are derived from the two
-- foreign keys, which keep the rows consistent on delete.
CREATE TABLE members (
	id bigserial PRIMARY KEY,
	user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
	project_id bigint REFERENCES projects ON DELETE CASCADE,
	namespace_id bigint REFERENCES namespaces ON DELETE CASCADE,
	source_type text GENERATED ALWAYS AS (CASE WHEN project_id IS NULL THEN 'Namespace' ELSE 'Project' END) STORED,
	source_id bigint GENERATED ALWAYS AS (coalesce(project_id, namespace_id)) STORED,
	access_level integer NOT NULL CHECK (access_level IN (10, 20, 30, 40, 50)),
	expires_at date,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(project_id, namespace_id) = 1)
);
CREATE UNIQUE INDEX index_members_on_user_id_and_project_id ON members (user_id, project_id) WHERE project_id IS NOT NULL;
CREATE UNIQUE INDEX index_members_on_user_id_and_namespace_id ON members (user_id, namespace_id) WHERE namespace_id IS NOT NULL;
CREATE INDEX index_members_on_project_id ON members (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX index_members_on_namespace_id ON members (namespace_id) WHERE namespace_id IS NOT NULL;
CREATE TRIGGER members_touch BEFORE UPDATE ON members FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Each user's highest role in each project: direct membership, membership
-- of the project's group or of any group above it, and the owner of a
-- personal project, who is a maintainer there (as GitLab 13.x/14.x's
-- select_as_maintainer_for_project_authorization). Expired memberships do
-- not count. A view rather than GitLab's refreshed table: always current,
-- and a lookup for one (user, project) stays on the indexes above.
CREATE VIEW project_authorizations AS
SELECT user_id, project_id, max(access_level) AS access_level
  FROM (SELECT m.user_id, m.project_id, m.access_level
	  FROM members m
	 WHERE m.project_id IS NOT NULL AND (m.expires_at IS NULL OR m.expires_at > current_date)
	UNION ALL
	SELECT m.user_id, p.id, m.access_level
	  FROM members m
	  JOIN namespaces n ON m.namespace_id = ANY (n.traversal_ids)
	  JOIN projects p ON p.namespace_id = n.id
	 WHERE m.namespace_id IS NOT NULL AND (m.expires_at IS NULL OR m.expires_at > current_date)
	UNION ALL
	SELECT n.owner_id, p.id, 40
	  FROM projects p
	  JOIN namespaces n ON n.id = p.namespace_id
	 WHERE n.type = 'User') a
 GROUP BY user_id, project_id;

-- SSH keys ----------------------------------------------------------------

-- Users' keys (type 'Key') and deploy keys ('DeployKey', as GitLab's STI).
-- A deploy key's user_id is whoever added it, if anyone.
CREATE TABLE keys (
	id bigserial PRIMARY KEY,
	user_id bigint REFERENCES users ON DELETE CASCADE,
	title text CHECK (length(title) <= 255),
	key text NOT NULL CHECK (length(key) BETWEEN 1 AND 20000),
	-- base64 of SHA-256 of the key blob, without "SHA256:" and '=' padding
	fingerprint_sha256 text NOT NULL CHECK (fingerprint_sha256 ~ '^[A-Za-z0-9+/]{43}$'),
	-- the legacy MD5 fingerprint, "xx:xx:...", which GitLab's LFS tokens salt with
	fingerprint text CHECK (fingerprint ~ '^([0-9a-f]{2}:){15}[0-9a-f]{2}$'),
	type text NOT NULL DEFAULT 'Key' CHECK (type IN ('Key', 'DeployKey')),
	public boolean NOT NULL DEFAULT false,	-- a deploy key any project may enable
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz,
	last_used_at timestamptz,
	CHECK (type = 'DeployKey' OR user_id IS NOT NULL),
	UNIQUE (id, type)	-- the target of deploy_keys_projects' typed reference
);
CREATE UNIQUE INDEX index_keys_on_fingerprint_sha256 ON keys (fingerprint_sha256);
CREATE INDEX index_keys_on_user_id ON keys (user_id);
CREATE TRIGGER keys_touch BEFORE UPDATE ON keys FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Projects a deploy key may read, and push to when can_push. The reference
-- through (id, type) makes only deploy keys linkable.
CREATE TABLE deploy_keys_projects (
	id bigserial PRIMARY KEY,
	deploy_key_id bigint NOT NULL,
	key_type text NOT NULL DEFAULT 'DeployKey' CHECK (key_type = 'DeployKey'),
	project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
	can_push boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (deploy_key_id, key_type) REFERENCES keys (id, type) ON DELETE CASCADE,
	UNIQUE (deploy_key_id, project_id)
);
CREATE INDEX index_deploy_keys_projects_on_project_id ON deploy_keys_projects (project_id);
CREATE TRIGGER deploy_keys_projects_touch BEFORE UPDATE ON deploy_keys_projects
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Protected branches and tags -------------------------------------------------

-- name is a branch name or a wildcard pattern such as "release/*".
CREATE TABLE protected_branches (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	allow_force_push boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (project_id, name)
);
CREATE TRIGGER protected_branches_touch BEFORE UPDATE ON protected_branches
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Who may push or merge: a role (user_id and group_id NULL, at most one such
-- row per branch), or (GitLab EE) one user or one group.
CREATE TABLE protected_branch_push_access_levels (
	id bigserial PRIMARY KEY,
	protected_branch_id bigint NOT NULL REFERENCES protected_branches ON DELETE CASCADE,
	access_level integer NOT NULL DEFAULT 40 CHECK (access_level IN (0, 30, 40, 60)),
	user_id bigint REFERENCES users ON DELETE CASCADE,
	group_id bigint REFERENCES namespaces ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(user_id, group_id) <= 1)
);
CREATE UNIQUE INDEX index_protected_branch_push_access_levels_role
	ON protected_branch_push_access_levels (protected_branch_id) WHERE user_id IS NULL AND group_id IS NULL;
CREATE INDEX index_protected_branch_push_access_levels_on_branch
	ON protected_branch_push_access_levels (protected_branch_id);
CREATE TRIGGER protected_branch_push_access_levels_touch BEFORE UPDATE ON protected_branch_push_access_levels
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

CREATE TABLE protected_branch_merge_access_levels (
	id bigserial PRIMARY KEY,
	protected_branch_id bigint NOT NULL REFERENCES protected_branches ON DELETE CASCADE,
	access_level integer NOT NULL DEFAULT 40 CHECK (access_level IN (0, 30, 40, 60)),
	user_id bigint REFERENCES users ON DELETE CASCADE,
	group_id bigint REFERENCES namespaces ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(user_id, group_id) <= 1)
);
CREATE UNIQUE INDEX index_protected_branch_merge_access_levels_role
	ON protected_branch_merge_access_levels (protected_branch_id) WHERE user_id IS NULL AND group_id IS NULL;
CREATE INDEX index_protected_branch_merge_access_levels_on_branch
	ON protected_branch_merge_access_levels (protected_branch_id);
CREATE TRIGGER protected_branch_merge_access_levels_touch BEFORE UPDATE ON protected_branch_merge_access_levels
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

CREATE TABLE protected_tags (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (project_id, name)
);
CREATE TRIGGER protected_tags_touch BEFORE UPDATE ON protected_tags
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

CREATE TABLE protected_tag_create_access_levels (
	id bigserial PRIMARY KEY,
	protected_tag_id bigint NOT NULL REFERENCES protected_tags ON DELETE CASCADE,
	access_level integer NOT NULL DEFAULT 40 CHECK (access_level IN (0, 30, 40, 60)),
	user_id bigint REFERENCES users ON DELETE CASCADE,
	group_id bigint REFERENCES namespaces ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	CHECK (num_nonnulls(user_id, group_id) <= 1)
);
CREATE UNIQUE INDEX index_protected_tag_create_access_levels_role
	ON protected_tag_create_access_levels (protected_tag_id) WHERE user_id IS NULL AND group_id IS NULL;
CREATE TRIGGER protected_tag_create_access_levels_touch BEFORE UPDATE ON protected_tag_create_access_levels
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Tokens ------------------------------------------------------------------

-- token_digest is the lowercase hex HMAC-SHA256 of the token under the
-- configured pepper; the token itself is never stored.
CREATE TABLE personal_access_tokens (
	id bigserial PRIMARY KEY,
	user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
	name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
	token_digest text NOT NULL UNIQUE CHECK (token_digest ~ '^[0-9a-f]{64}$'),
	scopes text[] NOT NULL CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY[
		'api', 'read_api', 'read_user', 'read_repository', 'write_repository',
		'read_registry', 'write_registry', 'sudo']),
	expires_at date,
	revoked boolean NOT NULL DEFAULT false,
	last_used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_personal_access_tokens_on_user_id ON personal_access_tokens (user_id);
CREATE TRIGGER personal_access_tokens_touch BEFORE UPDATE ON personal_access_tokens
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Kubernetes agents -------------------------------------------------------

CREATE TABLE cluster_agents (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
	-- GitLab's agent name: a DNS label
	name text NOT NULL CHECK (length(name) <= 63 AND name ~ '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'),
	created_by_user_id bigint REFERENCES users ON DELETE SET NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (project_id, name)
);
CREATE TRIGGER cluster_agents_touch BEFORE UPDATE ON cluster_agents
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

CREATE TABLE cluster_agent_tokens (
	id bigserial PRIMARY KEY,
	agent_id bigint NOT NULL REFERENCES cluster_agents ON DELETE CASCADE,
	token_digest text NOT NULL UNIQUE CHECK (token_digest ~ '^[0-9a-f]{64}$'),
	name text CHECK (length(name) <= 255),
	created_by_user_id bigint REFERENCES users ON DELETE SET NULL,
	revoked boolean NOT NULL DEFAULT false,
	last_used_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_cluster_agent_tokens_on_agent_id ON cluster_agent_tokens (agent_id);
CREATE TRIGGER cluster_agent_tokens_touch BEFORE UPDATE ON cluster_agent_tokens
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Billing (CustomersDot) --------------------------------------------------

-- GitLab.com's plans; a subscription's plan_code names one.
CREATE TABLE plans (
	id bigserial PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 255),
	title text NOT NULL CHECK (length(title) BETWEEN 1 AND 255),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO plans (name, title) VALUES
	('default', 'Default'), ('free', 'Free'), ('bronze', 'Bronze'), ('silver', 'Silver'),
	('premium', 'Premium'), ('gold', 'Gold'), ('ultimate', 'Ultimate'),
	('premium_trial', 'Premium Trial'), ('ultimate_trial', 'Ultimate Trial');
CREATE TRIGGER plans_touch BEFORE UPDATE ON plans FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

CREATE TABLE gitlab_subscriptions (
	id bigserial PRIMARY KEY,
	namespace_id bigint NOT NULL UNIQUE REFERENCES namespaces ON DELETE CASCADE,
	hosted_plan_id bigint REFERENCES plans,
	seats integer NOT NULL DEFAULT 0 CHECK (seats >= 0),
	seats_in_use integer NOT NULL DEFAULT 0 CHECK (seats_in_use >= 0),
	max_seats_used integer NOT NULL DEFAULT 0 CHECK (max_seats_used >= 0),
	seats_owed integer NOT NULL DEFAULT 0 CHECK (seats_owed >= 0),
	start_date date,
	end_date date,
	trial boolean NOT NULL DEFAULT false,
	trial_starts_on date,
	trial_ends_on date,
	auto_renew boolean,
	trial_extension_type smallint CHECK (trial_extension_type IN (1, 2)),	-- 1 extended, 2 reactivated
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER gitlab_subscriptions_touch BEFORE UPDATE ON gitlab_subscriptions
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- purchase_xid is unique so that a retried purchase cannot add a pack twice.
CREATE TABLE ci_minutes_additional_packs (
	id bigserial PRIMARY KEY,
	namespace_id bigint NOT NULL REFERENCES namespaces ON DELETE CASCADE,
	expires_at date NOT NULL,
	number_of_minutes integer NOT NULL CHECK (number_of_minutes >= 0),
	purchase_xid text NOT NULL UNIQUE CHECK (length(purchase_xid) BETWEEN 1 AND 50),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_ci_minutes_additional_packs_on_namespace_id ON ci_minutes_additional_packs (namespace_id);
CREATE TRIGGER ci_minutes_additional_packs_touch BEFORE UPDATE ON ci_minutes_additional_packs
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

CREATE TABLE upcoming_reconciliations (
	id bigserial PRIMARY KEY,
	namespace_id bigint NOT NULL UNIQUE REFERENCES namespaces ON DELETE CASCADE,
	next_reconciliation_date date NOT NULL,
	display_alert_from date NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER upcoming_reconciliations_touch BEFORE UPDATE ON upcoming_reconciliations
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();

-- Git push bookkeeping ------------------------------------------------------

-- Pushes in progress per repository ("project-42"), which GitLab keeps in
-- Redis with a 600 s expiry: treat a row whose updated_at is older than that
-- as 0. Decrements use GREATEST(value - 1, 0) so it never goes negative.
CREATE TABLE reference_counters (
	gl_repository text PRIMARY KEY CHECK (length(gl_repository) BETWEEN 1 AND 255),
	value integer NOT NULL DEFAULT 0 CHECK (value >= 0),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Snippets ----------------------------------------------------------------

-- Personal snippets (project_id NULL, "snippets/7") and project snippets.
CREATE TABLE snippets (
	id bigserial PRIMARY KEY,
	author_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
	project_id bigint REFERENCES projects ON DELETE CASCADE,
	type text GENERATED ALWAYS AS (CASE WHEN project_id IS NULL THEN 'PersonalSnippet' ELSE 'ProjectSnippet' END) STORED,
	title text NOT NULL DEFAULT '' CHECK (length(title) <= 255),
	visibility_level integer NOT NULL DEFAULT 0 CHECK (visibility_level IN (0, 10, 20)),
	repository_read_only boolean NOT NULL DEFAULT false,
	repository_storage text NOT NULL DEFAULT 'default' CHECK (length(repository_storage) BETWEEN 1 AND 255),
	-- @snippets/<h[0:2]>/<h[2:4]>/<h>, h = hex SHA-256 of the decimal id
	disk_path text GENERATED ALWAYS AS (
		'@snippets/' || substr(encode(sha256(id::text::bytea), 'hex'), 1, 2) || '/' ||
		substr(encode(sha256(id::text::bytea), 'hex'), 3, 2) || '/' ||
		encode(sha256(id::text::bytea), 'hex')) STORED,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_snippets_on_author_id ON snippets (author_id);
CREATE INDEX index_snippets_on_project_id ON snippets (project_id) WHERE project_id IS NOT NULL;
CREATE TRIGGER snippets_touch BEFORE UPDATE ON snippets FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();
