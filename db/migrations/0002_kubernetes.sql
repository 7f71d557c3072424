-- The Kubernetes agent server's writes: usage counters and Cilium alerts.
--
-- Applied by `glia-admin migrate` inside one transaction, like 0001.

-- GitLab's KubernetesAgentCounter keeps these in Redis (INCRBY on
-- kubernetes_agent_<event>); glia keeps them here, so every glia host sees
-- the same totals. One row per event, added to in one statement.
CREATE TABLE kubernetes_usage_counters (
	event text PRIMARY KEY CHECK (event IN ('gitops_sync', 'k8s_api_proxy_request')),
	count bigint NOT NULL DEFAULT 0 CHECK (count >= 0),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Alerts, as GitLab's AlertManagement::Alert reduced to what a Cilium alert
-- from an agent carries. GitLab's levels:
--   severity: 0 critical, 1 high, 2 medium, 3 low, 4 info, 5 unknown
--   status:   0 triggered, 1 acknowledged, 2 resolved, 3 ignored
-- fingerprint is the hex SHA-256 of the payload's fingerprint; an open alert
-- with the same fingerprint counts one more event instead of a new row.
CREATE TABLE alert_management_alerts (
	id bigserial PRIMARY KEY,
	project_id bigint NOT NULL REFERENCES projects ON DELETE CASCADE,
	cluster_agent_id bigint REFERENCES cluster_agents ON DELETE SET NULL,
	title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	description text CHECK (length(description) <= 1000),
	monitoring_tool text NOT NULL DEFAULT 'Cilium' CHECK (length(monitoring_tool) BETWEEN 1 AND 100),
	severity smallint NOT NULL DEFAULT 0 CHECK (severity BETWEEN 0 AND 5),
	status smallint NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 3),
	fingerprint text CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
	events integer NOT NULL DEFAULT 1 CHECK (events >= 1),
	payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
	started_at timestamptz NOT NULL DEFAULT now(),
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX index_alert_management_alerts_on_project_id ON alert_management_alerts (project_id);
CREATE UNIQUE INDEX index_open_alert_management_alerts_on_fingerprint
	ON alert_management_alerts (project_id, fingerprint) WHERE status <> 2 AND fingerprint IS NOT NULL;
CREATE TRIGGER alert_management_alerts_touch BEFORE UPDATE ON alert_management_alerts
	FOR EACH ROW EXECUTE FUNCTION glia_touch_updated_at();
