/* What devices report of their SCEP profiles (store.h): one row per report,
 * kept (durable, as every row of cloud.db), the newest shown next to the
 * connector's notification in the profile states. */
#include "store_int.h"

int
cloudsim_store_device_report_add(struct cloudsim_store *st,
    const struct cloudsim_device_report *r, int64_t now)
{
	sqlite3_stmt *stmt = ndes_db_prepare(st->db,
	    "INSERT INTO device_reports(device_id, profile, user_id, challenge_id, state, "
	    "reason, renewal, thumbprint, serial_number, url, received_at) "
	    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, upper(?8), upper(?9), ?10, ?11)");

	if (stmt == NULL || cloudsim_bind_text(stmt, 1, r->device_id) != 0 ||
	    cloudsim_bind_text(stmt, 2, r->profile) != 0 ||
	    cloudsim_bind_text(stmt, 3, r->user_id) != 0 ||
	    cloudsim_bind_text(stmt, 4, r->challenge_id) != 0 ||
	    cloudsim_bind_text(stmt, 5, r->state) != 0 ||
	    cloudsim_bind_text(stmt, 6, r->reason) != 0 ||
	    sqlite3_bind_int(stmt, 7, r->renewal) != SQLITE_OK ||
	    cloudsim_bind_text(stmt, 8, r->thumbprint) != 0 ||
	    cloudsim_bind_text(stmt, 9, r->serial_number) != 0 ||
	    cloudsim_bind_text(stmt, 10, r->url) != 0 ||
	    sqlite3_bind_int64(stmt, 11, now) != SQLITE_OK)
		return -1;
	return cloudsim_store_run(st, stmt);
}

json_t *
cloudsim_store_list_device_reports(struct cloudsim_store *st)
{
	json_t *rows = cloudsim_store_rows(st,
	    "SELECT device_id AS deviceId, profile, user_id AS userId, "
	    "challenge_id AS challengeId, state, reason, renewal, thumbprint, "
	    "serial_number AS serialNumber, url, received_at AS receivedAt "
	    "FROM device_reports ORDER BY seq");
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
		json_object_set_new(row, "renewal",
		    json_boolean(json_integer_value(json_object_get(row, "renewal"))));
	return rows;
}
