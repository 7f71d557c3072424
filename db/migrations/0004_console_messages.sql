-- Messages /internal/allowed leaves for the post_receive that follows the
-- same push (GitLab keeps them in Redis for 300 s under
-- redirect_namespace:<user id>:<gl_repository>): today the notice that a
-- project was reached through its old path.
CREATE TABLE console_messages (
	user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
	gl_repository text NOT NULL CHECK (length(gl_repository) BETWEEN 1 AND 255),
	kind text NOT NULL CHECK (kind IN ('moved', 'created')),
	message text NOT NULL CHECK (length(message) <= 8192),
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (user_id, gl_repository, kind)
);
CREATE INDEX index_console_messages_on_expires_at ON console_messages (expires_at);
