//! The office's side of intake: the office key pair and the peppers, kept like every other
//! key (wrapped by the master key), and the operations that need them — opening sealed
//! requests and answers, writing replies the seeker can read with the code.
//!
//! How a reply reaches a seeker without the office ever holding the code:
//!
//! ```text
//! intake (at submit):  code ─ Argon2id(pepper 1) ─▶ code_lookup          (stored)
//!                      code ─ Argon2id(pepper 2) ─▶ reply key ─ seal(office pk) ─▶ sealed_reply_key
//! office (replying):   open_sealed(office sk, sealed_reply_key) ─▶ reply key ─▶ envelope(reply)
//! seeker (check-back): code ─▶ code_lookup (finds the thread) and reply key (opens replies)
//! ```
//!
//! A seized database (without the master key) holds the replies encrypted under keys that
//! exist only sealed to the office or derivable from a code it does not have.

use crate::intake::{
    FROM_OFFICE, FROM_SEEKER, IntakeKeys, STATUS_KEPT, STATUS_NEW, STATUS_OPENED, StoredMessage,
    insert_message_with_id, keys_text,
};
use crate::{Store, StoreError, seal};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use reunite_crypto::{
    DataKey, OfficePublicKey, OfficeSecretKey, Zeroizing, open_field, open_sealed, seal_field,
};
use reunite_domain::{Action, NewAuditEvent, Timestamp};

const S_PK: &str = "intake.office_pk";
const S_SK: &str = "intake.office_sk";
const S_SK_KEY: &str = "intake.office_sk_key";
const S_LOOKUP: &str = "intake.pepper_lookup_key";
const S_REPLY: &str = "intake.pepper_reply_key";
/// Key id written into reply envelopes (the key itself comes from the code).
const REPLY_KEY_ID: &str = "reply";

/// Encrypts an office reply under the reply key, bound to its message id.
pub fn seal_reply(reply_key: &DataKey, message_id: &str, text: &str) -> Vec<u8> {
    seal_field(
        reply_key,
        REPLY_KEY_ID,
        &seal::field("intake_messages", "body", message_id),
        text.as_bytes(),
    )
}

/// Opens an office message with the reply key derived from the code. Fails (rather than
/// showing it) if the key is wrong or the body was moved to another message.
pub fn open_reply(
    reply_key: &DataKey,
    message: &StoredMessage,
) -> Result<Zeroizing<Vec<u8>>, StoreError> {
    if message.direction != FROM_OFFICE {
        return Err(StoreError::Corrupt("not an office message"));
    }
    Ok(open_field(
        reply_key,
        &seal::field("intake_messages", "body", &message.id),
        &message.body,
    )?)
}

/// A request in the office's list (nothing identifying: it is still sealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeSummary {
    /// Request id.
    pub id: String,
    /// `new`, `opened` or `kept`.
    pub status: String,
    /// When it was filed.
    pub created_at: Timestamp,
    /// Last message in either direction (or filing).
    pub last_activity: Timestamp,
    /// Messages in the thread.
    pub messages: i64,
}

/// One message of a thread, opened.
pub struct OpenedMessage {
    /// `office` or `seeker`.
    pub direction: String,
    /// The text.
    pub text: Zeroizing<String>,
    /// When.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for OpenedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenedMessage({}, [redacted])", self.direction)
    }
}

/// A request opened by the office.
pub struct OpenedIntake {
    /// Request id.
    pub id: String,
    /// Status before opening.
    pub status: String,
    /// When it was filed.
    pub created_at: Timestamp,
    /// The sealed payload, opened (JSON written by the public side).
    pub payload: Zeroizing<Vec<u8>>,
    /// The thread, oldest first.
    pub messages: Vec<OpenedMessage>,
}

impl std::fmt::Debug for OpenedIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenedIntake({}, [redacted])", self.id)
    }
}

impl Store {
    /// Creates the office key pair and the two peppers if they do not exist yet: the secret
    /// key sealed in `settings` under a data key wrapped by the master key, the peppers as
    /// data keys; the public key in clear. Idempotent.
    pub async fn ensure_intake_keys(&self, now: Timestamp) -> Result<(), StoreError> {
        if self.setting(S_PK).await?.is_some() {
            return Ok(());
        }
        let (pk, sk) = reunite_crypto::office_keypair();
        let (_g, mut tx) = self.begin_write().await?;
        let (sk_key_id, sk_key) = self.new_data_key(&mut tx, "office-secret", now).await?;
        let (lookup_id, _) = self.new_data_key(&mut tx, "pepper-lookup", now).await?;
        let (reply_id, _) = self.new_data_key(&mut tx, "pepper-reply", now).await?;
        let ctx = seal::field("settings", "value", S_SK);
        let sealed_sk = seal_field(&sk_key, &sk_key_id, &ctx, sk.to_text().as_bytes());
        let sealed_sk = B64.encode(sealed_sk);
        let q = self
            .backend
            .sql("INSERT INTO settings (key, value) VALUES ($1, $2)");
        for (k, v) in [
            (S_PK, pk.to_text()),
            (S_SK, sealed_sk),
            (S_SK_KEY, sk_key_id),
            (S_LOOKUP, lookup_id),
            (S_REPLY, reply_id),
        ] {
            sqlx::query(&q).bind(k).bind(v).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn required_setting(&self, key: &str) -> Result<String, StoreError> {
        self.setting(key)
            .await?
            .ok_or_else(|| StoreError::MissingKey(key.to_string()))
    }

    /// The office's public key.
    pub async fn office_public_key(&self) -> Result<OfficePublicKey, StoreError> {
        Ok(OfficePublicKey::from_text(
            &self.required_setting(S_PK).await?,
        )?)
    }

    /// What the public side of this installation needs (public key and peppers). Refuses
    /// equal peppers.
    pub async fn intake_keys(&self) -> Result<IntakeKeys, StoreError> {
        let (pk, lookup, reply) = self.intake_key_parts().await?;
        IntakeKeys::new(pk, lookup, reply)
    }

    /// The key file for an intake mirror (public key and peppers; no master key, no secret
    /// key). Readable by [`IntakeKeys::from_text`]. Write it with mode 0600.
    pub async fn export_intake_keys(&self) -> Result<Zeroizing<String>, StoreError> {
        let (pk, lookup, reply) = self.intake_key_parts().await?;
        Ok(keys_text(&pk, &lookup, &reply))
    }

    /// The office's public key and the two peppers' data keys.
    async fn intake_key_parts(&self) -> Result<(OfficePublicKey, DataKey, DataKey), StoreError> {
        let pk = self.office_public_key().await?;
        let lookup = self
            .data_key(&self.required_setting(S_LOOKUP).await?)
            .await?;
        let reply = self
            .data_key(&self.required_setting(S_REPLY).await?)
            .await?;
        Ok((pk, lookup, reply))
    }

    pub(crate) async fn office_secret_key(&self) -> Result<OfficeSecretKey, StoreError> {
        let key_id = self.required_setting(S_SK_KEY).await?;
        let dk = self.data_key(&key_id).await?;
        let sealed = B64
            .decode(self.required_setting(S_SK).await?)
            .map_err(|_| StoreError::Corrupt("office secret key"))?;
        let ctx = seal::field("settings", "value", S_SK);
        let text = open_field(&dk, &ctx, &sealed)?;
        let text =
            std::str::from_utf8(&text).map_err(|_| StoreError::Corrupt("office secret key"))?;
        Ok(OfficeSecretKey::from_text(text)?)
    }

    /// Requests, newest activity first.
    pub async fn intake_list(&self, limit: i64) -> Result<Vec<IntakeSummary>, StoreError> {
        let q = self.backend.sql(
            "SELECT r.id, r.status, r.created_at, r.last_activity, \
             (SELECT COUNT(*) FROM intake_messages m WHERE m.request_id = r.id) \
             FROM intake_requests r ORDER BY r.last_activity DESC, r.id LIMIT $1",
        );
        let rows: Vec<(String, String, i64, i64, i64)> =
            sqlx::query_as(&q).bind(limit).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(id, status, c, l, n)| IntakeSummary {
                id,
                status,
                created_at: Timestamp(c),
                last_activity: Timestamp(l),
                messages: n,
            })
            .collect())
    }

    async fn intake_row(&self, id: &str) -> Result<(String, i64, Vec<u8>, Vec<u8>), StoreError> {
        let q = self.backend.sql(
            "SELECT status, created_at, sealed_request, sealed_reply_key \
             FROM intake_requests WHERE id = $1",
        );
        sqlx::query_as(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Opens a request and its thread with the office's secret key. A sensitive read: the
    /// audit event is written first and the read refused if that fails. A `new` request
    /// becomes `opened`.
    pub async fn intake_open(
        &self,
        id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<OpenedIntake, StoreError> {
        let (status, created_at, sealed_request, sealed_reply_key) = self.intake_row(id).await?;
        let subject = self.pseudonym("intake", id).await?;
        {
            let (_g, mut tx) = self.begin_write().await?;
            self.append_audit_in(
                &mut tx,
                &NewAuditEvent {
                    actor: actor.to_string(),
                    action: Action::SensitiveRead,
                    subject,
                    detail: "intake.request".into(),
                },
                now,
            )
            .await?;
            if status == STATUS_NEW {
                let q = self
                    .backend
                    .sql("UPDATE intake_requests SET status = $1 WHERE id = $2 AND status = $3");
                sqlx::query(&q)
                    .bind(STATUS_OPENED)
                    .bind(id)
                    .bind(STATUS_NEW)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        let sk = self.office_secret_key().await?;
        let payload = open_sealed(&sk, &sealed_request)?;
        let reply_key = reply_key_of(&sk, &sealed_reply_key)?;
        let q = self.backend.sql(
            "SELECT id, direction, body, created_at FROM intake_messages \
             WHERE request_id = $1 ORDER BY created_at, id",
        );
        let rows: Vec<(String, String, Vec<u8>, i64)> =
            sqlx::query_as(&q).bind(id).fetch_all(&self.pool).await?;
        let mut messages = Vec::with_capacity(rows.len());
        for (mid, direction, body, at) in rows {
            let m = StoredMessage {
                id: mid,
                direction,
                body,
                created_at: Timestamp(at),
            };
            let bytes = if m.direction == FROM_SEEKER {
                open_sealed(&sk, &m.body)?
            } else {
                open_reply(&reply_key, &m)?
            };
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| StoreError::Corrupt("message text"))?;
            messages.push(OpenedMessage {
                direction: m.direction,
                text: Zeroizing::new(text),
                created_at: m.created_at,
            });
        }
        Ok(OpenedIntake {
            id: id.to_string(),
            status,
            created_at: Timestamp(created_at),
            payload,
            messages,
        })
    }

    /// Writes a reply the seeker reads with the code: encrypted under the reply key, which
    /// the office opens from its sealed copy. Audited with the change, in one transaction.
    pub async fn intake_reply(
        &self,
        id: &str,
        text: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (_status, _c, _req, sealed_reply_key) = self.intake_row(id).await?;
        let sk = self.office_secret_key().await?;
        let reply_key = reply_key_of(&sk, &sealed_reply_key)?;
        let message_id = crate::new_id("msg");
        let body = seal_reply(&reply_key, &message_id, text);
        let subject = self.pseudonym("intake", id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        insert_message_with_id(
            self.backend,
            &mut tx,
            &message_id,
            id,
            FROM_OFFICE,
            &body,
            now,
        )
        .await?;
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.to_string(),
                action: Action::RecordChange,
                subject,
                detail: "intake.reply".into(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps a request (it is under review or matched: retention spares it), or releases
    /// it back to `opened`.
    pub async fn intake_set_kept(
        &self,
        id: &str,
        kept: bool,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let subject = self.pseudonym("intake", id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE intake_requests SET status = $1 WHERE id = $2");
        let n = sqlx::query(&q)
            .bind(if kept { STATUS_KEPT } else { STATUS_OPENED })
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.to_string(),
                action: Action::RecordChange,
                subject,
                detail: if kept {
                    "intake.keep"
                } else {
                    "intake.release"
                }
                .into(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn reply_key_of(sk: &OfficeSecretKey, sealed: &[u8]) -> Result<DataKey, StoreError> {
    let text = open_sealed(sk, sealed)?;
    let text = std::str::from_utf8(&text).map_err(|_| StoreError::Corrupt("reply key"))?;
    Ok(DataKey::from_text(text)?)
}
