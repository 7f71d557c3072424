-- Two-factor authentication over SSH (gitlab-shell's 2fa_verify): a user's
-- TOTP secret and the last time step a code was taken in, and the OTP
-- sessions a good code opens, which GitLab EE keeps in Redis
-- (Gitlab::Auth::Otp::SessionEnforcer: "session:otp:<key id>", 15 minutes).
--
-- Applied by `glia-admin migrate` inside one transaction, like 0001.

-- The secret (160 bits) sealed with AES-256-GCM under a key derived from
-- token_pepper_file and bound to the user's id (src/totp.c): "v1:" and
-- base64 of nonce, ciphertext and tag. Never in clear, so a dump of the
-- database gives nobody a second factor. consumed_timestep is GitLab's
-- column: the RFC 6238 step of the last code taken; a code is good once,
-- and never one of an earlier step.
-- failed_attempts and locked_at are Devise's lockable columns, which GitLab
-- EE's OTP check raises (user.increment_failed_attempts!): ten wrong codes
-- in a row lock the user's OTP checks for ten minutes (GitLab's
-- maximum_attempts and unlock_in), so that whoever holds the SSH key
-- cannot try the million codes.
ALTER TABLE users
	ADD COLUMN encrypted_otp_secret text CHECK (encrypted_otp_secret ~ '^v1:[A-Za-z0-9+/]{64}$'),
	ADD COLUMN consumed_timestep bigint CHECK (consumed_timestep >= 0),
	ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
	ADD COLUMN locked_at timestamptz;

-- One session per key (or per user, for a check made with user_id alone):
-- a new good code moves expires_at. Nothing reads it yet: glia does not
-- enforce Git's 2FA sessions in /allowed.
CREATE TABLE two_factor_otp_sessions (
	user_id bigint NOT NULL REFERENCES users ON DELETE CASCADE,
	key_id bigint REFERENCES keys ON DELETE CASCADE,
	expires_at timestamptz NOT NULL,
	UNIQUE NULLS NOT DISTINCT (user_id, key_id)
);
CREATE INDEX index_two_factor_otp_sessions_on_key_id ON two_factor_otp_sessions (key_id) WHERE key_id IS NOT NULL;
