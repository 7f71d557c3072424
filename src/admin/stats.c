/* glia-admin stats: the usage counters that kas reports. */
#include "config.h"
#include "admin/admin.h"

#include <stdio.h>

/* The counters kas reports through usage_metrics (GitLab keeps them in
 * Redis as kubernetes_agent_<event>), the distinct ids of its unique
 * counters over the last 7 UTC days (GitLab: a weekly HyperLogLog), and
 * the alerts agents sent. */
int cmd_stats(struct admin *a, int argc, char **argv)
{
	static const char *const headings[] = { "COUNTER", "VALUE", "UPDATED" };
	int rc = admin_operands(argc, argv, 0, 0, "no arguments");
	if (rc)
		return rc;
	if (admin_connect(a) != 0)
		return ADMIN_FAIL;
	return print_query(a->db, "reading the counters", headings,
			   "SELECT 'kubernetes_agent_' || e.event, coalesce(c.count, 0),"
			   "       to_char(c.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
			   "  FROM (VALUES (1, 'gitops_sync'), (2, 'k8s_api_proxy_request')) e (n, event)"
			   "  LEFT JOIN kubernetes_usage_counters c ON c.event = e.event"
			   " UNION ALL (SELECT 'kubernetes_agent_' || event, count, to_char(updated_at AT TIME ZONE 'UTC',"
			   "       'YYYY-MM-DD HH24:MI') FROM kubernetes_usage_counters"
			   "  WHERE event NOT IN ('gitops_sync', 'k8s_api_proxy_request') ORDER BY event)"
			   " UNION ALL (SELECT event || '_7d', count(DISTINCT id), to_char(max(day), 'YYYY-MM-DD')"
			   "  FROM kubernetes_usage_unique_ids WHERE day > (now() AT TIME ZONE 'UTC')::date - 7"
			   "  GROUP BY event ORDER BY event)"
			   " UNION ALL SELECT 'kubernetes_agent_alerts', count(*),"
			   "       to_char(max(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
			   "  FROM alert_management_alerts WHERE cluster_agent_id IS NOT NULL",
			   0, NULL);
}
