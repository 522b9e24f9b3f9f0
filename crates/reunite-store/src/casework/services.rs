//! Services given to the mother, and referrals of a service to a partner organisation.

use super::notes::parse;
use super::{CaseworkRefusal, open_text, seal_text};
use crate::{CaseActor, Store, StoreError};
use reunite_domain::casework::{
    ReferralOutcome, ServiceKind, ServiceStatus, SharedField, valid_currency, valid_date,
};
use reunite_domain::{Action, Timestamp, Vocab};
use serde::{Deserialize, Serialize};
use sqlx::Row;

const SERVICES: &str = "case_services";
const REFERRALS: &str = "referrals";
/// Longest provider, partner or purpose.
pub const MAX_SHORT: usize = 500;
/// Longest text typed for a partner (contact, summary).
pub const MAX_LONG: usize = 5_000;

/// Economic support: how much (minor units of the currency), in what, for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Economic {
    /// Amount in minor units (won, cents).
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// What it is for (sealed).
    pub purpose: String,
}

/// A service to add.
#[derive(Debug, Clone)]
pub struct NewService {
    /// Its type.
    pub kind: ServiceKind,
    /// Who gives it: the NGO or a partner (sealed).
    pub provider: String,
    /// Start, `YYYY-MM-DD` or empty.
    pub start_on: String,
    /// End, `YYYY-MM-DD` or empty.
    pub end_on: String,
    /// For economic support only.
    pub economic: Option<Economic>,
}

/// A service with its texts opened and its referrals.
#[derive(Debug, Clone)]
pub struct Service {
    /// Opaque id.
    pub id: String,
    /// Its type.
    pub kind: ServiceKind,
    /// Where it stands.
    pub status: ServiceStatus,
    /// Who gives it.
    pub provider: String,
    /// Start or empty.
    pub start_on: String,
    /// End or empty.
    pub end_on: String,
    /// For economic support.
    pub economic: Option<Economic>,
    /// Its referrals, oldest first.
    pub referrals: Vec<Referral>,
}

/// A referral to add. Refused unless `consent` (the mother agreed to share `shared` with
/// the partner).
#[derive(Debug, Clone)]
pub struct NewReferral {
    /// The partner organisation.
    pub partner: String,
    /// What the partner is given.
    pub shared: Vec<SharedField>,
    /// How the partner reaches her (kept only if `Contact` is shared).
    pub contact: String,
    /// A summary for the partner (kept only if `Summary` is shared).
    pub summary: String,
    /// She agreed to this sharing.
    pub consent: bool,
}

/// What is typed for the partner, sealed together.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralExtra {
    /// How the partner reaches her.
    #[serde(default)]
    pub contact: String,
    /// A summary for the partner.
    #[serde(default)]
    pub summary: String,
}

/// A referral with its texts opened.
#[derive(Debug, Clone)]
pub struct Referral {
    /// Opaque id.
    pub id: String,
    /// The service referred.
    pub service_id: String,
    /// The case.
    pub case_id: String,
    /// The partner.
    pub partner: String,
    /// What she agreed to share.
    pub shared: Vec<SharedField>,
    /// Contact and summary, as far as shared.
    pub extra: ReferralExtra,
    /// When her consent was recorded.
    pub consent_at: Timestamp,
    /// What came of it.
    pub outcome: ReferralOutcome,
    /// When it was made.
    pub created_at: Timestamp,
}

fn refuse(why: CaseworkRefusal) -> StoreError {
    StoreError::Casework(why)
}

impl Store {
    /// Adds a service to a case, planned (audited `record_create/case_service`).
    pub async fn add_service(
        &self,
        case_id: &str,
        s: &NewService,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        if s.provider.trim().is_empty() || s.provider.len() > MAX_SHORT {
            return Err(refuse(CaseworkRefusal::Invalid("provider")));
        }
        for d in [&s.start_on, &s.end_on] {
            if !d.is_empty() && !valid_date(d) {
                return Err(refuse(CaseworkRefusal::Invalid("date")));
            }
        }
        match (&s.economic, s.kind) {
            (Some(e), ServiceKind::Economic) => {
                if e.amount_minor < 0 || !valid_currency(&e.currency) || e.purpose.len() > MAX_SHORT
                {
                    return Err(refuse(CaseworkRefusal::Invalid("amount")));
                }
            }
            (None, ServiceKind::Economic) | (Some(_), _) => {
                return Err(refuse(CaseworkRefusal::Invalid("amount")));
            }
            (None, _) => {}
        }
        let (key_id, key) = self.casework_key(case_id).await?;
        let id = crate::new_id("svc");
        let provider = seal_text(&key, &key_id, SERVICES, "provider_enc", &id, &s.provider);
        let purpose = s
            .economic
            .as_ref()
            .map(|e| seal_text(&key, &key_id, SERVICES, "purpose_enc", &id, &e.purpose));
        let event = self
            .casework_event(actor, Action::RecordCreate, case_id, "case_service")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO case_services (id, case_id, key_id, kind, status, provider_enc, \
             start_on, end_on, amount_minor, currency, purpose_enc, created_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(case_id)
            .bind(&key_id)
            .bind(s.kind.as_str())
            .bind(ServiceStatus::Planned.as_str())
            .bind(provider)
            .bind(&s.start_on)
            .bind(&s.end_on)
            .bind(s.economic.as_ref().map(|e| e.amount_minor))
            .bind(s.economic.as_ref().map(|e| e.currency.clone()))
            .bind(purpose)
            .bind(actor.column())
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The case of a service.
    pub async fn service_case(&self, id: &str) -> Result<Option<String>, StoreError> {
        let q = self
            .backend
            .sql("SELECT case_id FROM case_services WHERE id = $1");
        Ok(sqlx::query_scalar(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The case of a referral.
    pub async fn referral_case(&self, id: &str) -> Result<Option<String>, StoreError> {
        let q = self
            .backend
            .sql("SELECT case_id FROM referrals WHERE id = $1");
        Ok(sqlx::query_scalar(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Moves a service to `to` if the rule allows it from where it is
    /// (`Casework(Transition)` otherwise; audited `record_change/case_service_status`).
    pub async fn set_service_status(
        &self,
        id: &str,
        to: ServiceStatus,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let q = self
            .backend
            .sql("SELECT case_id, status FROM case_services WHERE id = $1");
        let (case_id, from): (String, String) = sqlx::query_as(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let from: ServiceStatus = parse(&from)?;
        if !from.may_become(to) {
            return Err(refuse(CaseworkRefusal::Transition));
        }
        let event = self
            .casework_event(actor, Action::RecordChange, &case_id, "case_service_status")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE case_services SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        );
        let done = sqlx::query(&q)
            .bind(to.as_str())
            .bind(now.millis())
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
        let Some(mut tx) = crate::db::tx::one_row_or_rollback(tx, done.rows_affected()).await?
        else {
            return Err(refuse(CaseworkRefusal::Transition));
        };
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The services of a case with their referrals, texts opened. The audit event
    /// (`sensitive_read/case_services`) is written first.
    pub async fn list_services(
        &self,
        case_id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Vec<Service>, StoreError> {
        let (_, key) = self.casework_key(case_id).await?;
        let event = self
            .casework_event(actor, Action::SensitiveRead, case_id, "case_services")
            .await?;
        self.append_audit(&event, now).await?;
        let q = self.backend.sql(
            "SELECT id, kind, status, provider_enc, start_on, end_on, amount_minor, currency, \
             purpose_enc FROM case_services WHERE case_id = $1 ORDER BY created_at, id",
        );
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        let mut referrals = self.referrals_of_case(case_id, &key).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let provider_enc: Vec<u8> = r.try_get("provider_enc")?;
            let amount: Option<i64> = r.try_get("amount_minor")?;
            let economic = match amount {
                Some(amount_minor) => {
                    let enc: Option<Vec<u8>> = r.try_get("purpose_enc")?;
                    Some(Economic {
                        amount_minor,
                        currency: r
                            .try_get::<Option<String>, _>("currency")?
                            .unwrap_or_default(),
                        purpose: match enc {
                            Some(enc) => open_text(&key, SERVICES, "purpose_enc", &id, &enc)?,
                            None => String::new(),
                        },
                    })
                }
                None => None,
            };
            let (mine, rest) = referrals.into_iter().partition(|x| x.service_id == id);
            referrals = rest;
            out.push(Service {
                kind: parse(&r.try_get::<String, _>("kind")?)?,
                status: parse(&r.try_get::<String, _>("status")?)?,
                provider: open_text(&key, SERVICES, "provider_enc", &id, &provider_enc)?,
                start_on: r.try_get("start_on")?,
                end_on: r.try_get("end_on")?,
                economic,
                referrals: mine,
                id,
            });
        }
        Ok(out)
    }

    async fn referrals_of_case(
        &self,
        case_id: &str,
        key: &reunite_crypto::DataKey,
    ) -> Result<Vec<Referral>, StoreError> {
        let q = self.backend.sql(
            "SELECT id, service_id, case_id, partner_enc, shared, extra_enc, consent_at, \
             outcome, created_at FROM referrals WHERE case_id = $1 ORDER BY created_at, id",
        );
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        rows.iter().map(|r| referral_from_row(r, key)).collect()
    }

    /// Refers a service to a partner, sharing `shared` — refused (`Casework(NoConsent)`,
    /// nothing written) unless the mother consented. Audited `record_create/referral`.
    pub async fn create_referral(
        &self,
        service_id: &str,
        r: &NewReferral,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        if !r.consent {
            return Err(refuse(CaseworkRefusal::NoConsent));
        }
        if r.partner.trim().is_empty() || r.partner.len() > MAX_SHORT {
            return Err(refuse(CaseworkRefusal::Invalid("partner")));
        }
        if r.contact.len() > MAX_LONG || r.summary.len() > MAX_LONG {
            return Err(refuse(CaseworkRefusal::Invalid("text")));
        }
        let case_id = self
            .service_case(service_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (key_id, key) = self.casework_key(&case_id).await?;
        let id = crate::new_id("ref");
        let mut shared: Vec<SharedField> = SharedField::ALL
            .into_iter()
            .filter(|f| r.shared.contains(f))
            .collect();
        shared.dedup();
        let extra = ReferralExtra {
            contact: if shared.contains(&SharedField::Contact) {
                r.contact.clone()
            } else {
                String::new()
            },
            summary: if shared.contains(&SharedField::Summary) {
                r.summary.clone()
            } else {
                String::new()
            },
        };
        let extra_json = serde_json::to_string(&extra).map_err(|_| StoreError::Corrupt("extra"))?;
        let partner = seal_text(&key, &key_id, REFERRALS, "partner_enc", &id, &r.partner);
        let extra_enc = seal_text(&key, &key_id, REFERRALS, "extra_enc", &id, &extra_json);
        let shared_s = shared
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",");
        let event = self
            .casework_event(actor, Action::RecordCreate, &case_id, "referral")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO referrals (id, service_id, case_id, key_id, partner_enc, shared, \
             extra_enc, consent_at, outcome, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8, $8)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(service_id)
            .bind(&case_id)
            .bind(&key_id)
            .bind(partner)
            .bind(shared_s)
            .bind(extra_enc)
            .bind(now.millis())
            .bind(ReferralOutcome::Pending.as_str())
            .bind(actor.column())
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records what came of a referral (audited `record_change/referral_outcome`).
    pub async fn set_referral_outcome(
        &self,
        id: &str,
        outcome: ReferralOutcome,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let case_id = self.referral_case(id).await?.ok_or(StoreError::NotFound)?;
        let event = self
            .casework_event(actor, Action::RecordChange, &case_id, "referral_outcome")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE referrals SET outcome = $1, updated_at = $2 WHERE id = $3");
        sqlx::query(&q)
            .bind(outcome.as_str())
            .bind(now.millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One referral with its service's type, texts opened (for the sheet). The audit event
    /// (`sensitive_read/referral`) is written first.
    pub async fn read_referral(
        &self,
        id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<(Referral, ServiceKind), StoreError> {
        let case_id = self.referral_case(id).await?.ok_or(StoreError::NotFound)?;
        let event = self
            .casework_event(actor, Action::SensitiveRead, &case_id, "referral")
            .await?;
        self.append_audit(&event, now).await?;
        let (_, key) = self.casework_key(&case_id).await?;
        let q = self.backend.sql(
            "SELECT r.id, r.service_id, r.case_id, r.partner_enc, r.shared, r.extra_enc, \
             r.consent_at, r.outcome, r.created_at, s.kind FROM referrals r \
             JOIN case_services s ON s.id = r.service_id WHERE r.id = $1",
        );
        let row = sqlx::query(&q).bind(id).fetch_one(&self.pool).await?;
        let kind = parse(&row.try_get::<String, _>("kind")?)?;
        Ok((referral_from_row(&row, &key)?, kind))
    }
}

fn referral_from_row(
    r: &sqlx::any::AnyRow,
    key: &reunite_crypto::DataKey,
) -> Result<Referral, StoreError> {
    let id: String = r.try_get("id")?;
    let partner_enc: Vec<u8> = r.try_get("partner_enc")?;
    let extra = match r.try_get::<Option<Vec<u8>>, _>("extra_enc")? {
        Some(enc) => {
            let json = open_text(key, REFERRALS, "extra_enc", &id, &enc)?;
            serde_json::from_str(&json).map_err(|_| StoreError::Corrupt("referral"))?
        }
        None => ReferralExtra::default(),
    };
    let shared: String = r.try_get("shared")?;
    Ok(Referral {
        service_id: r.try_get("service_id")?,
        case_id: r.try_get("case_id")?,
        partner: open_text(key, REFERRALS, "partner_enc", &id, &partner_enc)?,
        shared: shared
            .split(',')
            .filter(|s| !s.is_empty())
            .map(parse)
            .collect::<Result<_, _>>()?,
        extra,
        consent_at: Timestamp(r.try_get("consent_at")?),
        outcome: parse(&r.try_get::<String, _>("outcome")?)?,
        created_at: Timestamp(r.try_get("created_at")?),
        id,
    })
}
