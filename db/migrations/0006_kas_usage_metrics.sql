-- kas's usage metrics in current GitLab's shape (lib/api/internal/
-- kubernetes.rb): counters, added to as before, and unique counters, the
-- distinct ids seen per event and day, which GitLab keeps in Redis
-- HyperLogLogs (HLLRedisCounter.track_event).
--
-- Applied by `glia-admin migrate` inside one transaction, like 0001.

ALTER TABLE kubernetes_usage_counters DROP CONSTRAINT kubernetes_usage_counters_event_check;
ALTER TABLE kubernetes_usage_counters ADD CONSTRAINT kubernetes_usage_counters_event_check CHECK (event IN (
	'gitops_sync', 'k8s_api_proxy_request', 'flux_git_push_notifications_total',
	'k8s_api_proxy_requests_via_ci_access', 'k8s_api_proxy_requests_via_user_access',
	'k8s_api_proxy_requests_via_pat_access'));

-- One row per event, UTC day and id: a unique count is count(*) of a day's
-- (or a week's distinct) ids.
CREATE TABLE kubernetes_usage_unique_ids (
	event text NOT NULL CHECK (event IN (
		'k8s_api_proxy_requests_unique_users_via_ci_access',
		'k8s_api_proxy_requests_unique_users_via_user_access',
		'k8s_api_proxy_requests_unique_users_via_pat_access',
		'k8s_api_proxy_requests_unique_agents_via_ci_access',
		'k8s_api_proxy_requests_unique_agents_via_user_access',
		'k8s_api_proxy_requests_unique_agents_via_pat_access',
		'flux_git_push_notified_unique_projects')),
	day date NOT NULL,
	id bigint NOT NULL,
	PRIMARY KEY (event, day, id)
);
