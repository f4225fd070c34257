//! Facility gateway credentials and agency tokens: small tables, written one record at a time
//! (each put is its own durable transaction) and read whole, ordered by key.

use rusqlite::{Connection, named_params};
use yidi_store::{AgencyTokenRecord, CredentialRecord, StoreResult};

use crate::codec::{Cols, io, opt_secs, secs};
use crate::read::rows;

const UPSERT_CREDENTIAL: &str = "
INSERT INTO credential (paasid, fixmedins_code, token_sealed, previous_sealed, previous_until_s, revoked,
                        updated_at_s, sm2_public_key, sm2_required)
VALUES (:paasid, :fixmedins_code, :token_sealed, :previous_sealed, :previous_until_s, :revoked,
        :updated_at_s, :sm2_public_key, :sm2_required)
ON CONFLICT (paasid) DO UPDATE SET
    fixmedins_code = excluded.fixmedins_code, token_sealed = excluded.token_sealed,
    previous_sealed = excluded.previous_sealed, previous_until_s = excluded.previous_until_s,
    revoked = excluded.revoked, updated_at_s = excluded.updated_at_s,
    sm2_public_key = excluded.sm2_public_key, sm2_required = excluded.sm2_required";

const UPSERT_AGENCY_TOKEN: &str = "
INSERT INTO agency_token (name, admdvs, token_sha256, revoked, created_at_s)
VALUES (:name, :admdvs, :token_sha256, :revoked, :created_at_s)
ON CONFLICT (name) DO UPDATE SET
    admdvs = excluded.admdvs, token_sha256 = excluded.token_sha256, revoked = excluded.revoked,
    created_at_s = excluded.created_at_s";

pub(crate) fn put_credential(conn: &Connection, c: &CredentialRecord) -> StoreResult<()> {
    conn.prepare_cached(UPSERT_CREDENTIAL)
        .map_err(io("prepare credential"))?
        .execute(named_params! {
            ":paasid": c.paasid,
            ":fixmedins_code": c.fixmedins_code,
            ":token_sealed": c.token_sealed,
            ":previous_sealed": c.previous_sealed,
            ":previous_until_s": opt_secs(c.previous_until),
            ":revoked": c.revoked,
            ":updated_at_s": secs(c.updated_at),
            ":sm2_public_key": c.sm2_public_key,
            ":sm2_required": c.sm2_required,
        })
        .map_err(io("write credential"))?;
    Ok(())
}

pub(crate) fn credentials(conn: &Connection) -> StoreResult<Vec<CredentialRecord>> {
    rows(conn, "credential", "SELECT * FROM credential ORDER BY paasid", |c: &Cols<'_, '_>| {
        Ok(CredentialRecord {
            paasid: c.text("paasid")?,
            fixmedins_code: c.text("fixmedins_code")?,
            token_sealed: c.blob("token_sealed")?,
            previous_sealed: c.opt_blob("previous_sealed")?,
            previous_until: c.opt_time("previous_until_s")?,
            revoked: c.bool("revoked")?,
            updated_at: c.time("updated_at_s")?,
            sm2_public_key: c.opt_blob("sm2_public_key")?,
            sm2_required: c.bool("sm2_required")?,
        })
    })
}

pub(crate) fn put_agency_token(conn: &Connection, t: &AgencyTokenRecord) -> StoreResult<()> {
    conn.prepare_cached(UPSERT_AGENCY_TOKEN)
        .map_err(io("prepare agency token"))?
        .execute(named_params! {
            ":name": t.name,
            ":admdvs": t.admdvs,
            ":token_sha256": &t.token_sha256[..],
            ":revoked": t.revoked,
            ":created_at_s": secs(t.created_at),
        })
        .map_err(io("write agency token"))?;
    Ok(())
}

pub(crate) fn agency_tokens(conn: &Connection) -> StoreResult<Vec<AgencyTokenRecord>> {
    rows(conn, "agency_token", "SELECT * FROM agency_token ORDER BY name", |c: &Cols<'_, '_>| {
        Ok(AgencyTokenRecord {
            name: c.text("name")?,
            admdvs: c.text("admdvs")?,
            token_sha256: c.hash32("token_sha256")?,
            revoked: c.bool("revoked")?,
            created_at: c.time("created_at_s")?,
        })
    })
}
