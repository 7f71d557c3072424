#!/usr/bin/env bash
# POST /api/v4/internal/two_factor_otp_check (gitlab-shell v13.14–v14.9),
# two_factor_manual_otp_check and two_factor_push_otp_check (v14.10 on):
# `ssh git@host 2fa_verify`. Always 200, success true or false with GitLab
# EE's messages; a code is checked against the TOTP secret that
# `glia-admin user 2fa` made (RFC 6238: HMAC-SHA1, 30 s, 6 digits, one step
# each way), and each step is good once per user. The test computes the
# codes itself (python3) from the secret the otpauth:// URI shows. Last, a
# real gitlab-shell v14.22 (and v14.7.4) runs 2fa_verify with the code on
# its stdin, when the real-client harness is there.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

import "$GLIA_SRC/tests/data/e2e-otp.json"
LEGACY=/api/v4/internal/two_factor_otp_check
MANUAL=/api/v4/internal/two_factor_manual_otp_check
PUSH=/api/v4/internal/two_factor_push_otp_check
ALICE=7301 ALICE_KEY=7311 BOB_KEY=7312 CAROL_KEY=7313 DAVE_KEY=7314 DEPLOY_KEY=7315 ORPHAN_DEPLOY_KEY=7316
psql_q() { psql -X -qtA -c "$1"; }
admin() { "$GLIA_ADMIN" -c "$GLIA_CONFIG" "$@"; }

# totp BASE32 STEP: the 6-digit code of that step, computed here from the RFC.
totp() {
	python3 - "$1" "$2" <<'EOF'
import base64, hashlib, hmac, struct, sys
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
mac = hmac.new(key, struct.pack(">Q", int(sys.argv[2])), hashlib.sha1).digest()
off = mac[19] & 15
print("%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000))
EOF
}
step_now() { echo $(($(date +%s) / 30)); }
# steady: waits, when a step ends within 3 s, for the next one, so that a
# code computed now is checked in the same step.
steady() {
	local left=$((30 - $(date +%s) % 30))
	[ "$left" -gt 3 ] || sleep $((left + 1))
}
# A code no step near now has: wrong whatever the clock does meanwhile.
wrong_code() {
	local s n c taken
	s=$(step_now)
	taken=" $(for n in -2 -1 0 1 2 3; do totp "$1" $((s + n)); done | tr '\n' ' ')"
	for c in 000000 111111 222222 333333 444444; do
		[[ $taken == *" $c "* ]] || { echo "$c"; return; }
	done
}
# expect_shell STATUS BODY PATH JSON: sent as gitlab-shell v14 sends it:
# JSON (key_id a string, user_id a number), the secret in
# Gitlab-Shared-Secret and (v14.22) the JWT.
expect_shell() {
	expect "$1" "$2" POST "$3" -H "$AUTH" -H "Gitlab-Shell-Api-Request: $(shell_jwt)" \
		-H 'Content-Type: application/json' --data "$4"
}
# The state the checks may write: each user's step and their OTP sessions.
# A wrong code counts a failed attempt (failures() below), which moves
# updated_at; neither is part of it.
state() {
	psql_q "SELECT id, otp_required_for_login, consumed_timestep, encrypted_otp_secret FROM users
		 WHERE id BETWEEN 7301 AND 7304 ORDER BY id"
	psql_q "SELECT user_id, key_id, expires_at FROM two_factor_otp_sessions WHERE user_id BETWEEN 7301 AND 7304
		 ORDER BY user_id, key_id NULLS FIRST"
}
consumed() { psql_q "SELECT coalesce(consumed_timestep::text, 'none') FROM users WHERE id = $ALICE"; }
failures() { psql_q "SELECT failed_attempts || '|' || (locked_at IS NOT NULL) FROM users WHERE id = $ALICE"; }
unlock() { psql_q "UPDATE users SET failed_attempts = 0, locked_at = NULL WHERE id = $ALICE" >/dev/null; }
reset_step() { psql_q "UPDATE users SET consumed_timestep = NULL WHERE id = $ALICE" >/dev/null; }
SUCCESS='{"success":true}'
INVALID='{"success":false,"message":"Invalid OTP"}'

# --- glia-admin user 2fa: a secret, shown once as an otpauth:// URI
uri=$(admin user 2fa otp-alice)
ok_if "user 2fa prints one otpauth:// URI with a 160-bit base32 secret ($uri)" \
	grep -qE '^otpauth://totp/localhost:otp-alice\?secret=[A-Z2-7]{32}&issuer=localhost$' <<<"$uri"
SECRET32=$(sed 's/.*secret=\([A-Z2-7]*\)&.*/\1/' <<<"$uri")
ok_if "2FA on, the secret stored sealed, no step taken yet" \
	test "$(psql_q "SELECT otp_required_for_login, encrypted_otp_secret ~ '^v1:[A-Za-z0-9+/]{64}\$', consumed_timestep IS NULL
			 FROM users WHERE id = $ALICE")" = "t|t|t"
ok_if "the secret appears nowhere in the database" db_lacks "" "$SECRET32"
uri2=$(admin user 2fa OTP-Alice --issuer 'Git Lab:Example')
ok_if "a second call makes a new secret; the stored username; --issuer percent-encoded ($uri2)" \
	bash -c '[[ $1 =~ ^otpauth://totp/Git%20Lab%3AExample:otp-alice\?secret=([A-Z2-7]{32})\&issuer=Git%20Lab%3AExample$ ]] &&
		[ "${BASH_REMATCH[1]}" != "$2" ]' _ "$uri2" "$SECRET32"
old_secret=$SECRET32
SECRET32=$(sed 's/.*secret=\([A-Z2-7]*\)&.*/\1/' <<<"$uri2")

# --- a good code, as gitlab-shell v14.22 sends it
s=$(step_now)
code=$(totp "$SECRET32" "$s")
desc "manual check, key_id, the current code"
expect_shell 200 "$SUCCESS" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$code\"}"
ok_if "its step is taken ($s: $(consumed))" test "$(consumed)" = "$s"
ok_if "an OTP session of 15 minutes for the key" \
	test "$(psql_q "SELECT count(*) FROM two_factor_otp_sessions WHERE user_id = $ALICE AND key_id = $ALICE_KEY
			 AND expires_at BETWEEN now() + interval '14 minutes' AND now() + interval '15 minutes'")" = 1

before=$(state)
desc "the same code again: refused"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$code\"}"
desc "the same code on the legacy path: refused"
expect_shell 200 "$INVALID" "$LEGACY" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$code\"}"
desc "the step before's code, once a later step was taken: refused"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" $((s - 1)))\"}"
desc "the code of the secret before: refused"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$old_secret" "$s")\"}"
ok_if "the refusals wrote nothing" test "$(state)" = "$before"

desc "the next step's code (one step of drift ahead)"
expect_shell 200 "$SUCCESS" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" $((s + 1)))\"}"
ok_if "the later step is taken ($((s + 1)): $(consumed))" test "$(consumed)" = $((s + 1))
desc "two steps ahead is outside the window"
reset_step
steady
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" $(($(step_now) + 2)))\"}"
desc "two steps behind is outside the window"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" $(($(step_now) - 2)))\"}"
ok_if "codes outside the window take no step" test "$(consumed)" = none

# --- refusals: each writes nothing but, for a code, a failed attempt
unlock
before=$(state)
wrong=$(wrong_code "$SECRET32")
desc "a wrong code"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$wrong\"}"
code=$(totp "$SECRET32" "$(step_now)")
for bad in 12345 1234567 12345a "$code " " $code" "${code:0:3} ${code:3}" "" "١٢٣٤٥٦"; do
	desc "otp_attempt '$bad' is not six digits"
	expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$bad\"}"
done
ok_if "each wrong or malformed code counted a failed attempt (9|false: $(failures))" test "$(failures)" = "9|false"
unlock
desc "the right digits as a JSON number (not a string)"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":1${code:1}}"
desc "no otp_attempt"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\"}"
desc "otp_attempt null"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":null}"
desc "a user without 2FA"
expect_shell 200 '{"success":false,"message":"Two-factor authentication is not enabled for this user"}' \
	"$MANUAL" "{\"key_id\":\"$BOB_KEY\",\"otp_attempt\":\"$code\"}"
desc "a user with 2FA but no TOTP secret (imported)"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$CAROL_KEY\",\"otp_attempt\":\"$code\"}"
desc "a blocked user"
expect_shell 200 '{"success":false,"message":"Your account is locked"}' \
	"$MANUAL" "{\"key_id\":\"$DAVE_KEY\",\"otp_attempt\":\"$code\"}"
desc "a deploy key"
expect_shell 200 '{"success":false,"message":"Deploy keys cannot be used for Two Factor"}' \
	"$MANUAL" "{\"key_id\":\"$DEPLOY_KEY\",\"otp_attempt\":\"$code\"}"
desc "a deploy key nobody added"
expect_shell 200 '{"success":false,"message":"Could not find a user for the given key"}' \
	"$MANUAL" "{\"key_id\":\"$ORPHAN_DEPLOY_KEY\",\"otp_attempt\":\"$code\"}"
desc "an unknown key"
expect_shell 200 '{"success":false,"message":"Could not find the given key"}' \
	"$MANUAL" "{\"key_id\":\"999999\",\"otp_attempt\":\"$code\"}"
desc "no key and no user"
expect_shell 200 '{"success":false,"message":"Could not find the given key"}' "$MANUAL" "{\"otp_attempt\":\"$code\"}"
desc "an unknown user_id"
expect_shell 200 '{"success":false,"message":"Could not find the given user"}' \
	"$MANUAL" "{\"user_id\":999999,\"otp_attempt\":\"$code\"}"
desc "key_id=12abc -> 400"
expect_shell 400 '{"error":"key_id is invalid"}' "$MANUAL" "{\"key_id\":\"12abc\",\"otp_attempt\":\"$code\"}"
desc "no secret -> 401"
expect 401 '{"message":"401 Unauthorized"}' POST "$MANUAL" -H 'Content-Type: application/json' \
	--data "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$code\"}"
desc "GET -> 405"
expect 405 '{"error":"405 Not Allowed"}' GET "$MANUAL" -H "$AUTH"
ok_if "none of these refusals wrote anything else" test "$(state)" = "$before"
unlock

# --- ten wrong codes in a row lock the checks for ten minutes (GitLab EE's
# increment_failed_attempts!, Devise's maximum_attempts 10, unlock_in 10 min)
unlock
reset_step
steady
wrong=$(wrong_code "$SECRET32")
for i in $(seq 10); do
	desc "wrong code $i of 10"
	expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$wrong\"}"
done
ok_if "ten failed attempts, and the lock ($(failures))" test "$(failures)" = "10|true"
desc "then even the right code: locked"
expect_shell 200 '{"success":false,"message":"Your account is locked"}' "$MANUAL" \
	"{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" "$(step_now)")\"}"
ok_if "a locked check takes no step" test "$(consumed)" = none
psql_q "UPDATE users SET locked_at = now() - interval '11 minutes' WHERE id = $ALICE" >/dev/null
desc "ten minutes later, a wrong code counts from one again"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$wrong\"}"
ok_if "one failed attempt, no lock ($(failures))" test "$(failures)" = "1|false"
desc "and the right code goes through"
expect_shell 200 "$SUCCESS" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" "$(step_now)")\"}"
ok_if "a good code resets the count ($(failures))" test "$(failures)" = "0|false"
reset_step

# --- the push check (v14.10 on): glia has no push provider
before=$(state)
desc "push check: not available"
expect_shell 200 '{"success":false,"message":"Feature is not available"}' "$PUSH" "{\"key_id\":\"$ALICE_KEY\"}"
desc "push check by user_id: not available"
expect_shell 200 '{"success":false,"message":"Feature is not available"}' "$PUSH" "{\"user_id\":$ALICE}"
desc "push check with a good code still takes none"
expect_shell 200 '{"success":false,"message":"Feature is not available"}' "$PUSH" \
	"{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" "$(step_now)")\"}"
desc "push check, a user without 2FA"
expect_shell 200 '{"success":false,"message":"Two-factor authentication is not enabled for this user"}' \
	"$PUSH" "{\"key_id\":\"$BOB_KEY\"}"
desc "push check, a deploy key"
expect_shell 200 '{"success":false,"message":"Deploy keys cannot be used for Two Factor"}' "$PUSH" "{\"key_id\":\"$DEPLOY_KEY\"}"
desc "push check, an unknown key"
expect_shell 200 '{"success":false,"message":"Could not find the given key"}' "$PUSH" '{"key_id":"999999"}'
ok_if "push checks wrote nothing" test "$(state)" = "$before"

# --- user_id instead of key_id (gitlab-shell v14.10 on, for a user without a key id)
code=$(totp "$SECRET32" "$(step_now)")
desc "manual check by user_id"
expect_shell 200 "$SUCCESS" "$MANUAL" "{\"user_id\":$ALICE,\"otp_attempt\":\"$code\"}"
ok_if "an OTP session for the user, without a key" \
	test "$(psql_q "SELECT count(*) FROM two_factor_otp_sessions WHERE user_id = $ALICE AND key_id IS NULL")" = 1
desc "the same code by key_id: the step is the user's, not the key's"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$code\"}"

# --- the legacy path, as gitlab-shell v14.7.4 sends it, and as a form
reset_step
code=$(totp "$SECRET32" "$(step_now)")
desc "legacy two_factor_otp_check, JSON"
expect_shell 200 "$SUCCESS" "$LEGACY" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$code\"}"
desc "v14.7.4 sends an empty otp_attempt when nothing was typed"
expect_shell 200 "$INVALID" "$LEGACY" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"\"}"
reset_step
desc "legacy path, form-encoded with secret_token"
expect 200 "$SUCCESS" POST "$LEGACY" --data "secret_token=$(urlencode "$SECRET")&key_id=$ALICE_KEY&otp_attempt=$code"
ok_if "the session's expiry moved, still one row per key" \
	test "$(psql_q "SELECT count(*) FROM two_factor_otp_sessions WHERE user_id = $ALICE AND key_id = $ALICE_KEY
			 AND expires_at > now() + interval '14 minutes'")" = 1

# --- 20 concurrent requests with one code: exactly one passes
reset_step
code=$(totp "$SECRET32" "$(step_now)")
conc=$E2E_TMP/concurrent
mkdir -p "$conc"
export GLIA_URL AUTH MANUAL conc code ALICE_KEY
seq 20 | xargs -P 20 -I{} sh -c 'curl -s -H "$AUTH" -H "Content-Type: application/json" \
	--data "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$code\"}" "$GLIA_URL$MANUAL" > "$conc/{}"'
answers=$(for f in "$conc"/*; do cat "$f"; echo; done)
wins=$(grep -c '^{"success":true}$' <<<"$answers" || true)
losses=$(grep -cF "$INVALID" <<<"$answers" || true)
locked=$(grep -cF '{"success":false,"message":"Your account is locked"}' <<<"$answers" || true)
# The 19 replays are failed attempts: from the tenth, the checks are locked.
ok_if "20 concurrent checks of one code: 1 success, 19 refused as Invalid OTP or, from the tenth failure, locked ($wins, $losses, $locked)" \
	test "$wins/$((losses + locked))" = 1/19
ok_if "each Invalid OTP counted, and the lock ($(failures))" test "$(failures)" = "$losses|true"
unlock

# --- another token_pepper_file: the sealed secret no longer opens
printf 'another-pepper-of-t_otp\n' >"$E2E_TMP/pepper2"
chmod 600 "$E2E_TMP/pepper2"
line=$(log_line)
reload_with "token_pepper_file = $E2E_TMP/pepper2"
reset_step
desc "after token_pepper_file changed, the right code is refused"
expect_shell 200 "$INVALID" "$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" "$(step_now)")\"}"
ok_if "glia logs why" logged_since "$line" "two-factor check of user $ALICE: the TOTP secret does not open under token_pepper_file"
ok_if "and takes no step" test "$(consumed)" = none
reload_with

# --- nothing of the secret in glia's log
ok_if "the secret and the codes appear nowhere in glia's log" \
	bash -c '[ -r "$1" ] && ! grep -qF -e "$2" -e "$3" "$1"' _ "$GLIA_LOG" "$SECRET32" "\"otp_attempt\""

# --- a real gitlab-shell's 2fa_verify
HARNESS=$GLIA_SRC/../shared/tools/real-clients
CLIENTS=${REALCLIENTS_DIR:-/tmp/realclients}
# twofa_verify GENERATION KEY-ID CODE: runs a copy of that gitlab-shell (the
# harness's directory is shared, and may be rebuilt meanwhile) as sshd
# would, with its own config.yml (GITLAB_SHELL_DIR) and the code typed on
# its stdin.
twofa_verify() {
	local dir=$E2E_TMP/gitlab-shell-$1
	mkdir -p "$dir/bin"
	[ -x "$dir/bin/gitlab-shell" ] || cp "$CLIENTS/$1/bin/gitlab-shell" "$dir/bin/gitlab-shell"
	cat >"$dir/config.yml" <<EOF
user: $(id -un)
gitlab_url: "$GLIA_URL"
http_settings:
  self_signed_cert: false
secret_file: "$GLIA_SHELL_SECRET_FILE"
log_file: "$dir/gitlab-shell.log"
log_level: DEBUG
log_format: text
EOF
	printf '%s\n' "$3" | timeout 60 env GITLAB_SHELL_DIR="$dir" SSH_CONNECTION='127.0.0.1 50022 127.0.0.1 22' \
		SSH_ORIGINAL_COMMAND=2fa_verify "$dir/bin/gitlab-shell" "key-$2" 2>&1
}
built() { [ -x "$CLIENTS/$1/bin/gitlab-shell" ] && grep -q '^BUILT' "$CLIENTS/$1.status" 2>/dev/null; }
if [ ! -x "$HARNESS/run" ]; then
	echo "# SKIP real gitlab-shell 2fa_verify: no real-client harness at $HARNESS"
elif ! built go-v14.22.0; then
	echo "# SKIP real gitlab-shell 2fa_verify: go-v14.22.0 is not built in $CLIENTS (run $HARNESS/build)"
else
	reset_step
	out=$(twofa_verify go-v14.22.0 "$ALICE_KEY" "$(totp "$SECRET32" "$(step_now)")")
	ok_if "gitlab-shell v14.22 2fa_verify prints its success line ($(tr '\n' '|' <<<"$out"))" \
		grep -qx 'OTP validation successful. Git operations are now allowed.' <<<"$out"
	out=$(twofa_verify go-v14.22.0 "$ALICE_KEY" "$(wrong_code "$SECRET32")")
	ok_if "gitlab-shell v14.22 2fa_verify prints GitLab's message for a wrong code ($(tr '\n' '|' <<<"$out"))" \
		grep -qx 'OTP validation failed: Invalid OTP' <<<"$out"
	out=$(twofa_verify go-v14.22.0 "$BOB_KEY" 123456)
	ok_if "gitlab-shell v14.22 2fa_verify, a user without 2FA ($(tr '\n' '|' <<<"$out"))" \
		grep -qx 'OTP validation failed: Two-factor authentication is not enabled for this user' <<<"$out"
	if built go-v14.7.4; then
		reset_step
		out=$(twofa_verify go-v14.7.4 "$ALICE_KEY" "$(totp "$SECRET32" "$(step_now)")")
		ok_if "gitlab-shell v14.7.4 2fa_verify (two_factor_otp_check) prints its success line ($(tr '\n' '|' <<<"$out"))" \
			grep -qx 'OTP validation successful. Git operations are now allowed.' <<<"$out"
	else
		echo "# SKIP gitlab-shell v14.7.4 2fa_verify: go-v14.7.4 is not built in $CLIENTS"
	fi
fi

# --- glia-admin user 2fa --off: secret, step and sessions gone
off=$(admin user 2fa otp-alice --off)
ok_if "user 2fa --off ($off)" test "$off" = "user otp-alice: two-factor authentication off, TOTP secret and recovery codes cleared"
ok_if "2FA off: flag, secret, step and sessions cleared" \
	test "$(psql_q "SELECT otp_required_for_login, encrypted_otp_secret IS NULL, consumed_timestep IS NULL,
			 (SELECT count(*) FROM two_factor_otp_sessions WHERE user_id = $ALICE) FROM users WHERE id = $ALICE")" = "f|t|t|0"
desc "after --off, the check says 2FA is not enabled"
expect_shell 200 '{"success":false,"message":"Two-factor authentication is not enabled for this user"}' \
	"$MANUAL" "{\"key_id\":\"$ALICE_KEY\",\"otp_attempt\":\"$(totp "$SECRET32" "$(step_now)")\"}"
off=$(admin user 2fa otp-alice --off)
ok_if "user 2fa --off again: already off ($off)" test "$off" = "user otp-alice: two-factor authentication was already off"
# admin_status EXPECTED ARGS...: glia-admin exits with EXPECTED, printing nothing on stdout.
admin_status() {
	local want=$1 out rc=0
	shift
	out=$(admin "$@" 2>/dev/null) || rc=$?
	[ "$rc" = "$want" ] && [ -z "$out" ]
}
ok_if "user 2fa on --off is refused (exit 2)" admin_status 2 user 2fa otp-alice on --off
ok_if "user 2fa --off --issuer is refused (exit 2)" admin_status 2 user 2fa otp-alice --off --issuer x
ok_if "user 2fa of nobody fails (exit 1), no URI" admin_status 1 user 2fa nobody-otp-here
grep -v '^token_pepper_file' "$GLIA_CONFIG" >"$E2E_TMP/no-pepper.conf"
ok_if "user 2fa without token_pepper_file fails (exit 1), no URI" \
	admin_status 1 -c "$E2E_TMP/no-pepper.conf" user 2fa otp-alice
ok_if "which changed nothing" test "$(psql_q "SELECT otp_required_for_login, encrypted_otp_secret IS NULL FROM users WHERE id = $ALICE")" = "f|t"
# --- what user 2fa turns on is what two_factor_recovery_codes reads
admin user 2fa otp-bob >/dev/null
desc "recovery codes of a user whose 2FA user 2fa just turned on"
expect_match 200 '^\{"success":true,"recovery_codes":\["[0-9a-f]{16}"' POST /api/v4/internal/two_factor_recovery_codes \
	-H "$AUTH" --data "key_id=$BOB_KEY"
admin user 2fa otp-bob --off >/dev/null
ok_if "user 2fa --off clears them" \
	test "$(psql_q "SELECT otp_required_for_login, otp_backup_codes IS NULL FROM users WHERE id = 7302")" = "f|t"

# The import's data set turns 2FA on again (without a secret) for the next run.
import "$GLIA_SRC/tests/data/e2e-otp.json"

finish
