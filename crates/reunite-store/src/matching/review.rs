//! Match review: candidates proposed by the matcher, the transitions people make
//! (`reunite_domain::review` decides what is allowed; this module records it, audited, in one
//! transaction), member accounts bound to a case, and the office–mother relay.
//!
//! Everything a candidate says about people — the matcher's probability and field-by-field
//! explanation, what the mother is shown, the notes on each step, the messages — is sealed
//! under the case's data key and bound to its row. Ids, states and the accounts that acted
//! are in clear: they name no one, and the rules need them.

use crate::db::tx::one_row_or_rollback;
use crate::{Store, StoreError, seal};
use reunite_crypto::{DataKey, Zeroizing, open_field, seal_field};
use reunite_domain::review::{self, AnsweredBy, MatchFacts, MatchState, Step};
use reunite_domain::{Action, MatchRecord, NewAuditEvent, Timestamp, UserId};
use sqlx::Row as _;

const CANDIDATES: &str = "match_candidates";

/// A candidate in the review queue (what a list shows; opened from its envelope).
#[derive(Debug, Clone)]
pub struct CandidateSummary {
    /// Candidate id.
    pub id: String,
    /// The tracing request.
    pub request_id: String,
    /// The case.
    pub case_id: String,
    /// Where it stands.
    pub state: MatchState,
    /// The matcher's posterior probability.
    pub probability: f64,
    /// Proposed.
    pub created_at: Timestamp,
    /// Last transition.
    pub updated_at: Timestamp,
}

/// A candidate with everything the review page shows.
pub struct Candidate {
    /// The list fields.
    pub summary: CandidateSummary,
    /// What the matcher found, with its explanation.
    pub detail: MatchRecord,
    /// Who verified, consented, approved.
    pub facts: MatchFacts,
    /// What the mother is shown (chosen by the caseworker when she is asked).
    pub excerpt: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Candidate({}, {})", self.summary.id, self.summary.state)
    }
}

/// One recorded transition.
pub struct StepRecord {
    /// Order within the candidate.
    pub seq: i64,
    /// The step (`verify`, `approve`, … or `propose`).
    pub step: String,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// Account id, or `system`.
    pub actor: String,
    /// When.
    pub at: Timestamp,
    /// The note written with it.
    pub note: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for StepRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StepRecord({} {}→{})", self.step, self.from, self.to)
    }
}

/// A message between the office and a mother, opened.
pub struct MemberMessage {
    /// Message id.
    pub id: String,
    /// `office` or `member`.
    pub direction: String,
    /// The text.
    pub text: Zeroizing<String>,
    /// When.
    pub created_at: Timestamp,
}

impl std::fmt::Debug for MemberMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MemberMessage({}, [redacted])", self.direction)
    }
}

/// Messages written by the office.
pub const FROM_OFFICE: &str = "office";
/// Messages written by the mother.
pub const FROM_MEMBER: &str = "member";

fn facts_of(
    state: &str,
    verified_by: Option<String>,
    approved_by: Option<String>,
    consent_by: Option<String>,
) -> Result<MatchFacts, StoreError> {
    Ok(MatchFacts {
        state: state
            .parse::<MatchState>()
            .map_err(|_| StoreError::Corrupt("match state"))?,
        verified_by,
        consent: match consent_by {
            Some(s) => Some(
                s.parse::<AnsweredBy>()
                    .map_err(|_| StoreError::Corrupt("consent"))?,
            ),
            None => None,
        },
        approved_by,
    })
}

const SELECT_CANDIDATE: &str = "SELECT id, request_id, case_id, key_id, detail_enc, excerpt_enc, \
     state, verified_by, approved_by, consent_by, created_at, updated_at FROM match_candidates";

impl Store {
    /// The data key of a case (and its id), which seals everything said about its matches.
    async fn case_key(&self, case_id: &str) -> Result<(String, DataKey), StoreError> {
        let q = self.backend.sql("SELECT key_id FROM cases WHERE id = $1");
        let key_id: String = sqlx::query_scalar(&q)
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let key = self.data_key(&key_id).await?;
        Ok((key_id, key))
    }

    /// Records what the matcher proposed for one request (a candidate per match, skipping
    /// pairs already proposed). Returns how many are new. Audited as the system.
    pub async fn propose_matches(
        &self,
        matches: &[MatchRecord],
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let mut sealed = Vec::with_capacity(matches.len());
        for m in matches {
            let (key_id, key) = self.case_key(&m.case).await?;
            let id = crate::new_id("m");
            let json = serde_json::to_vec(m).map_err(|_| StoreError::Corrupt("match"))?;
            let enc = seal_field(
                &key,
                &key_id,
                &seal::field(CANDIDATES, "detail_enc", &id),
                &json,
            );
            let subject = self.pseudonym("match", &id).await?;
            sealed.push((id, key_id, enc, subject));
        }
        let (_g, mut tx) = self.begin_write().await?;
        let mut added = 0;
        for (m, (id, key_id, enc, subject)) in matches.iter().zip(sealed) {
            let q = self.backend.sql(
                "INSERT INTO match_candidates (id, request_id, case_id, key_id, detail_enc, \
                 state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                 ON CONFLICT (request_id, case_id) DO NOTHING",
            );
            let n = sqlx::query(&q)
                .bind(&id)
                .bind(&m.request)
                .bind(&m.case)
                .bind(&key_id)
                .bind(enc)
                .bind(MatchState::Proposed.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                continue;
            }
            let q = self.backend.sql(
                "INSERT INTO match_steps (candidate_id, seq, step, from_state, to_state, actor, \
                 at) VALUES ($1, 1, 'propose', '', $2, 'system', $3)",
            );
            sqlx::query(&q)
                .bind(&id)
                .bind(MatchState::Proposed.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await?;
            self.append_audit_in(
                &mut tx,
                &NewAuditEvent {
                    actor: "system".into(),
                    action: Action::RecordCreate,
                    subject,
                    detail: "match.propose".into(),
                },
                now,
            )
            .await?;
            added += 1;
        }
        tx.commit().await?;
        Ok(added)
    }

    fn summary_from_row(
        &self,
        r: &sqlx::any::AnyRow,
        key: &DataKey,
    ) -> Result<(CandidateSummary, MatchRecord), StoreError> {
        let id: String = r.try_get("id")?;
        let enc: Vec<u8> = r.try_get("detail_enc")?;
        let plain = open_field(key, &seal::field(CANDIDATES, "detail_enc", &id), &enc)?;
        let detail: MatchRecord =
            serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt("match detail"))?;
        let state: String = r.try_get("state")?;
        Ok((
            CandidateSummary {
                request_id: r.try_get("request_id")?,
                case_id: r.try_get("case_id")?,
                state: state
                    .parse::<MatchState>()
                    .map_err(|_| StoreError::Corrupt("match state"))?,
                probability: detail.probability,
                created_at: Timestamp(r.try_get("created_at")?),
                updated_at: Timestamp(r.try_get("updated_at")?),
                id,
            },
            detail,
        ))
    }

    async fn summaries(
        &self,
        where_sql: &str,
        bind: Option<&str>,
        limit: i64,
    ) -> Result<Vec<CandidateSummary>, StoreError> {
        let q = self.backend.sql(&format!(
            "{SELECT_CANDIDATE} {where_sql} ORDER BY updated_at DESC, id LIMIT {limit}"
        ));
        let mut query = sqlx::query(&q);
        if let Some(b) = bind {
            query = query.bind(b.to_string());
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let key = self.data_key(&r.try_get::<String, _>("key_id")?).await?;
            out.push(self.summary_from_row(r, &key)?.0);
        }
        Ok(out)
    }

    /// The review queue: candidates in `state` (all open ones if `None`), most recently
    /// changed first.
    pub async fn list_candidates(
        &self,
        state: Option<MatchState>,
        limit: i64,
    ) -> Result<Vec<CandidateSummary>, StoreError> {
        match state {
            Some(s) => {
                self.summaries("WHERE state = $1", Some(s.as_str()), limit.clamp(1, 1000))
                    .await
            }
            None => {
                self.summaries(
                    "WHERE state NOT IN ('rejected', 'declined', 'withdrawn', 'closed', \
                     'reunited')",
                    None,
                    limit.clamp(1, 1000),
                )
                .await
            }
        }
    }

    /// Candidates of one case, any state.
    pub async fn candidates_of_case(
        &self,
        case_id: &str,
    ) -> Result<Vec<CandidateSummary>, StoreError> {
        self.summaries("WHERE case_id = $1", Some(case_id), 1000)
            .await
    }

    /// Candidates of one request, any state.
    pub async fn candidates_of_request(
        &self,
        request_id: &str,
    ) -> Result<Vec<CandidateSummary>, StoreError> {
        self.summaries("WHERE request_id = $1", Some(request_id), 1000)
            .await
    }

    /// One candidate, opened.
    pub async fn candidate(&self, id: &str) -> Result<Candidate, StoreError> {
        let q = self
            .backend
            .sql(&format!("{SELECT_CANDIDATE} WHERE id = $1"));
        let r = sqlx::query(&q)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let key = self.data_key(&r.try_get::<String, _>("key_id")?).await?;
        let (summary, detail) = self.summary_from_row(&r, &key)?;
        let excerpt = match r.try_get::<Option<Vec<u8>>, _>("excerpt_enc")? {
            Some(enc) => {
                let p = open_field(&key, &seal::field(CANDIDATES, "excerpt_enc", id), &enc)?;
                Some(Zeroizing::new(
                    String::from_utf8(p.to_vec()).map_err(|_| StoreError::Corrupt("excerpt"))?,
                ))
            }
            None => None,
        };
        let facts = facts_of(
            summary.state.as_str(),
            r.try_get("verified_by")?,
            r.try_get("approved_by")?,
            r.try_get("consent_by")?,
        )?;
        Ok(Candidate {
            summary,
            detail,
            facts,
            excerpt,
        })
    }

    /// The transitions of a candidate, oldest first.
    pub async fn candidate_steps(&self, id: &str) -> Result<Vec<StepRecord>, StoreError> {
        let q = self.backend.sql(
            "SELECT s.seq, s.step, s.from_state, s.to_state, s.actor, s.at, s.note_enc, c.key_id \
             FROM match_steps s JOIN match_candidates c ON c.id = s.candidate_id \
             WHERE s.candidate_id = $1 ORDER BY s.seq",
        );
        let rows = sqlx::query(&q).bind(id).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let seq: i64 = r.try_get("seq")?;
            let note = match r.try_get::<Option<Vec<u8>>, _>("note_enc")? {
                Some(enc) => {
                    let key = self.data_key(&r.try_get::<String, _>("key_id")?).await?;
                    let row = format!("{id}/{seq}");
                    let p = open_field(&key, &seal::field("match_steps", "note_enc", &row), &enc)?;
                    Some(Zeroizing::new(
                        String::from_utf8(p.to_vec()).map_err(|_| StoreError::Corrupt("note"))?,
                    ))
                }
                None => None,
            };
            out.push(StepRecord {
                seq,
                step: r.try_get("step")?,
                from: r.try_get("from_state")?,
                to: r.try_get("to_state")?,
                actor: r.try_get("actor")?,
                at: Timestamp(r.try_get("at")?),
                note,
            });
        }
        Ok(out)
    }

    /// Takes a step on a candidate as the account `actor`. The rules of
    /// [`reunite_domain::review`] decide; a refusal changes nothing. The transition, its
    /// note, the excerpt (when the mother is asked) and the audit event are written in one
    /// transaction; a concurrent change by someone else is refused as a conflict.
    pub async fn match_step(
        &self,
        id: &str,
        step: Step,
        actor: &UserId,
        note: Option<&str>,
        excerpt: Option<&str>,
        now: Timestamp,
    ) -> Result<MatchFacts, StoreError> {
        let current = self.candidate(id).await?;
        let next = review::apply(&current.facts, step, &actor.0).map_err(StoreError::Refused)?;
        // Verification can require a DNA test: one registered for this match (its match
        // reference) holds the verification until its report is issued or it is cancelled.
        if step == Step::Verify && self.open_dna_tests_of_match(id).await? > 0 {
            return Err(StoreError::Refused(review::Refusal::DnaPending));
        }
        self.record_step(id, &current, &next, step, actor, note, excerpt, now)
            .await?;
        Ok(next)
    }

    /// The mother answers in her own account: only for a candidate of her own case, and
    /// only while she is asked.
    pub async fn member_answer(
        &self,
        id: &str,
        member: &UserId,
        yes: bool,
        now: Timestamp,
    ) -> Result<MatchFacts, StoreError> {
        let step = if yes {
            Step::Consent(AnsweredBy::Herself)
        } else {
            Step::Decline(AnsweredBy::Herself)
        };
        self.member_step(id, member, step, now, |f, m| {
            review::member_answer(f, yes, m)
        })
        .await
    }

    /// The mother withdraws, in her own account, from a match she was asked about.
    pub async fn member_withdraw(
        &self,
        id: &str,
        member: &UserId,
        now: Timestamp,
    ) -> Result<MatchFacts, StoreError> {
        self.member_step(
            id,
            member,
            Step::Withdraw(review::Side::Mother),
            now,
            review::member_withdraw,
        )
        .await
    }

    async fn member_step(
        &self,
        id: &str,
        member: &UserId,
        step: Step,
        now: Timestamp,
        rule: impl Fn(&MatchFacts, &str) -> Result<MatchFacts, review::Refusal>,
    ) -> Result<MatchFacts, StoreError> {
        let current = self.candidate(id).await?;
        if self.member_case(member).await?.as_deref() != Some(current.summary.case_id.as_str()) {
            return Err(StoreError::Refused(review::Refusal::NotHers));
        }
        let next = rule(&current.facts, &member.0).map_err(StoreError::Refused)?;
        self.record_step(id, &current, &next, step, member, None, None, now)
            .await?;
        Ok(next)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_step(
        &self,
        id: &str,
        current: &Candidate,
        next: &MatchFacts,
        step: Step,
        actor: &UserId,
        note: Option<&str>,
        excerpt: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (key_id, key) = self.case_key(&current.summary.case_id).await?;
        let actor_p = self.pseudonym("user", &actor.0).await?;
        let subject = self.pseudonym("match", id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let seq: i64 = sqlx::query_scalar::<_, Option<i64>>(
            &self
                .backend
                .sql("SELECT MAX(seq) FROM match_steps WHERE candidate_id = $1"),
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .unwrap_or(0)
            + 1;
        let q = self.backend.sql(
            "UPDATE match_candidates SET state = $1, verified_by = $2, approved_by = $3, \
             consent_by = $4, updated_at = $5 WHERE id = $6 AND state = $7",
        );
        let n = sqlx::query(&q)
            .bind(next.state.as_str())
            .bind(next.verified_by.clone())
            .bind(next.approved_by.clone())
            .bind(next.consent.map(|c| c.as_str().to_string()))
            .bind(now.millis())
            .bind(id)
            .bind(current.facts.state.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let Some(mut tx) = one_row_or_rollback(tx, n).await? else {
            return Err(StoreError::Conflict("the match changed meanwhile"));
        };
        if let Some(text) = excerpt.filter(|_| step == Step::AskMother) {
            let enc = seal_field(
                &key,
                &key_id,
                &seal::field(CANDIDATES, "excerpt_enc", id),
                text.as_bytes(),
            );
            let q = self
                .backend
                .sql("UPDATE match_candidates SET excerpt_enc = $1 WHERE id = $2");
            sqlx::query(&q).bind(enc).bind(id).execute(&mut *tx).await?;
        }
        let row = format!("{id}/{seq}");
        let note_enc = note.filter(|n| !n.trim().is_empty()).map(|n| {
            seal_field(
                &key,
                &key_id,
                &seal::field("match_steps", "note_enc", &row),
                n.as_bytes(),
            )
        });
        let q = self.backend.sql(
            "INSERT INTO match_steps (candidate_id, seq, step, from_state, to_state, actor, at, \
             note_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        );
        sqlx::query(&q)
            .bind(id)
            .bind(seq)
            .bind(step.as_str())
            .bind(current.facts.state.as_str())
            .bind(next.state.as_str())
            .bind(&actor.0)
            .bind(now.millis())
            .bind(note_enc)
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor_p,
                action: if step == Step::Connect {
                    Action::Disclosure
                } else {
                    Action::RecordChange
                },
                subject,
                detail: format!("match.{}", step.as_str()),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// DNA tests registered for a match that have neither a report nor been cancelled.
    pub async fn open_dna_tests_of_match(&self, id: &str) -> Result<i64, StoreError> {
        let q = self.backend.sql(
            "SELECT COUNT(*) FROM dna_tests WHERE match_ref = $1 \
             AND status NOT IN ('reported', 'cancelled')",
        );
        Ok(sqlx::query_scalar(&q)
            .bind(id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// The case a member account belongs to.
    pub async fn member_case(&self, user: &UserId) -> Result<Option<String>, StoreError> {
        let q = self
            .backend
            .sql("SELECT case_id FROM members WHERE user_id = $1");
        Ok(sqlx::query_scalar(&q)
            .bind(&user.0)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The member account of a case, if she has one.
    pub async fn member_of_case(&self, case_id: &str) -> Result<Option<UserId>, StoreError> {
        let q = self
            .backend
            .sql("SELECT user_id FROM members WHERE case_id = $1");
        Ok(sqlx::query_scalar::<_, String>(&q)
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?
            .map(UserId))
    }

    /// Writes a message between the office and the mother of `case_id` (`direction` is
    /// [`FROM_OFFICE`] or [`FROM_MEMBER`]), sealed under the case's key, audited.
    pub async fn add_member_message(
        &self,
        case_id: &str,
        direction: &str,
        text: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        if direction != FROM_OFFICE && direction != FROM_MEMBER {
            return Err(StoreError::Corrupt("message direction"));
        }
        let (key_id, key) = self.case_key(case_id).await?;
        let id = crate::new_id("mm");
        let enc = seal_field(
            &key,
            &key_id,
            &seal::field("member_messages", "body_enc", &id),
            text.as_bytes(),
        );
        let subject = self.pseudonym("case", case_id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO member_messages (id, case_id, key_id, direction, body_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(case_id)
            .bind(&key_id)
            .bind(direction)
            .bind(enc)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.to_string(),
                action: Action::RecordCreate,
                subject,
                detail: format!("member_message.{direction}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The messages of a case's thread with its mother, oldest first.
    pub async fn member_messages(&self, case_id: &str) -> Result<Vec<MemberMessage>, StoreError> {
        let q = self.backend.sql(
            "SELECT id, key_id, direction, body_enc, created_at FROM member_messages \
             WHERE case_id = $1 ORDER BY created_at, id",
        );
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.try_get("id")?;
            let key = self.data_key(&r.try_get::<String, _>("key_id")?).await?;
            let enc: Vec<u8> = r.try_get("body_enc")?;
            let p = open_field(&key, &seal::field("member_messages", "body_enc", &id), &enc)?;
            out.push(MemberMessage {
                text: Zeroizing::new(
                    String::from_utf8(p.to_vec()).map_err(|_| StoreError::Corrupt("message"))?,
                ),
                direction: r.try_get("direction")?,
                created_at: Timestamp(r.try_get("created_at")?),
                id,
            });
        }
        Ok(out)
    }
}
