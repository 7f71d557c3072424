# shellcheck shell=bash
# One FastCGI request to a socket with cgi-fcgi (Debian: libfcgi-bin), for
# the tests that reach glia without a web server (tests/e2e/lib_glia.sh,
# tests/valgrind/run, tests/scale/run). Sourced, never run.

CGI_FCGI=${CGI_FCGI:-$(command -v cgi-fcgi || true)}

# fcgi_request SOCKET METHOD URI [VAR=VALUE...]: stdin as the body, with
# only the parameters a web server passes (REQUEST_METHOD; SCRIPT_NAME and
# DOCUMENT_URI the path; REQUEST_URI; QUERY_STRING; SERVER_PROTOCOL;
# GATEWAY_INTERFACE; REMOTE_ADDR 127.0.0.1), then VAR=VALUE, which add to
# them or replace them; prints the CGI response with CR removed. At most
# FCGI_TIMEOUT seconds (20).
fcgi_request() {
	local sock=$1 method=$2 uri=$3
	shift 3
	local path=${uri%%\?*} query=
	[[ $uri == *\?* ]] && query=${uri#*\?}
	timeout "${FCGI_TIMEOUT:-20}" env -i REQUEST_METHOD="$method" SCRIPT_NAME="$path" DOCUMENT_URI="$path" \
		REQUEST_URI="$uri" QUERY_STRING="$query" SERVER_PROTOCOL=HTTP/1.1 \
		REMOTE_ADDR=127.0.0.1 GATEWAY_INTERFACE=CGI/1.1 "$@" \
		"${CGI_FCGI:-cgi-fcgi}" -bind -connect "$sock" | tr -d '\r'
}
