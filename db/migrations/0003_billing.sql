-- Billing (CustomersDot): what the subscription and CI minutes endpoints
-- compute in the database, so that each answer is one statement.

-- GitLab's Namespace#billable_members_count (14.0–14.1): a personal
-- namespace is one seat; a group counts each active, non-bot user who is a
-- member of the group, of a group below it, or of a project in any of them,
-- once; guests are left out on the plans that do not bill them (gold,
-- ultimate). Expired memberships do not count.
CREATE FUNCTION glia_billable_members_count(ns bigint, exclude_guests boolean) RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN (SELECT type FROM namespaces WHERE id = ns) = 'User' THEN 1 ELSE (
		SELECT count(DISTINCT m.user_id)::integer
		  FROM members m JOIN users u ON u.id = m.user_id
		 WHERE (m.namespace_id IN (SELECT id FROM namespaces WHERE traversal_ids @> ARRAY[ns])
			OR m.project_id IN (SELECT p.id FROM projects p JOIN namespaces n ON n.id = p.namespace_id
					     WHERE n.traversal_ids @> ARRAY[ns]))
		   AND u.state = 'active' AND (u.user_type IS NULL OR u.user_type = 4)
		   AND (m.expires_at IS NULL OR m.expires_at > current_date)
		   AND (NOT coalesce(exclude_guests, false) OR m.access_level > 10)) END
$$;

-- Adds CI minutes packs to a namespace, all or none: a purchase_xid the
-- namespace already has gives back the stored pack unchanged (a retried
-- purchase credits nothing twice); one that another namespace has fails
-- the whole call with SQLSTATE 22023. Packs are taken in purchase_xid
-- order, so that concurrent calls with overlapping packs queue instead of
-- deadlocking; each statement of a PL/pgSQL function sees what other
-- transactions committed before it, so a call that lost the race to insert
-- reads the winner's row. The answer lists the packs in the order given.
CREATE FUNCTION glia_add_minutes_packs(ns bigint, minutes integer[], expires date[], xids text[])
RETURNS TABLE (ord bigint, namespace_id bigint, expires_at date, number_of_minutes integer, purchase_xid text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	p record;
	owner_ns bigint;
BEGIN
	FOR p IN SELECT DISTINCT ON (i.xid) i.xid, i.minutes, i.expires
		   FROM unnest(xids, minutes, expires) WITH ORDINALITY AS i(xid, minutes, expires, n)
		  ORDER BY i.xid, i.n
	LOOP
		INSERT INTO ci_minutes_additional_packs (namespace_id, expires_at, number_of_minutes, purchase_xid)
		VALUES (ns, p.expires, p.minutes, p.xid)
		ON CONFLICT (purchase_xid) DO NOTHING;
		IF NOT FOUND THEN
			SELECT c.namespace_id INTO owner_ns FROM ci_minutes_additional_packs c WHERE c.purchase_xid = p.xid;
			IF owner_ns IS DISTINCT FROM ns THEN
				RAISE EXCEPTION 'purchase_xid % belongs to another namespace', p.xid USING ERRCODE = '22023';
			END IF;
		END IF;
	END LOOP;
	RETURN QUERY
		SELECT i.n, c.namespace_id, c.expires_at, c.number_of_minutes, c.purchase_xid
		  FROM unnest(xids) WITH ORDINALITY AS i(xid, n)
		  JOIN ci_minutes_additional_packs c ON c.purchase_xid = i.xid
		 ORDER BY i.n;
END $$;
