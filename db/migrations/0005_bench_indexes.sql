-- What contrib/bench/run (issue 7) found slow.
--
-- glia_billable_members_count (every gitlab_subscription answer) was one SQL
-- statement whose "member of a namespace below it OR of a project in one"
-- condition no index can serve: a sequential scan of members on every call,
-- and, as an SQL function that is not inlined, planned again on every call.
-- Reading the namespaces first matters as much: PostgreSQL estimates
-- "traversal_ids @> ARRAY[ns]" at thousands of rows (no statistics fit a
-- containment test on unique ids) and joins it to members and projects by
-- scanning both, 0.6 s per call with the bench's N = 1 000 000 data set.
-- The same count: the namespace ids first, then each kind of membership
-- through its own index (index_members_on_namespace_id,
-- index_projects_on_namespace_id, members by project), in PL/pgSQL, whose
-- plans are kept for the session.
CREATE OR REPLACE FUNCTION glia_billable_members_count(ns bigint, exclude_guests boolean) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
	ids bigint[];
BEGIN
	IF (SELECT type FROM namespaces WHERE id = ns) = 'User' THEN
		RETURN 1;
	END IF;
	ids := ARRAY(SELECT id FROM namespaces WHERE traversal_ids @> ARRAY[ns]);
	RETURN (
		SELECT count(DISTINCT m.user_id)::integer
		  FROM (SELECT m.user_id, m.access_level, m.expires_at
			  FROM members m
			 WHERE m.namespace_id = ANY (ids)
			UNION ALL
			SELECT m.user_id, m.access_level, m.expires_at
			  FROM projects p JOIN members m ON m.project_id = p.id
			 WHERE p.namespace_id = ANY (ids)) m
		  JOIN users u ON u.id = m.user_id
		 WHERE u.state = 'active' AND (u.user_type IS NULL OR u.user_type = 4)
		   AND (m.expires_at IS NULL OR m.expires_at > current_date)
		   AND (NOT coalesce(exclude_guests, false) OR m.access_level > 10));
END $$;
