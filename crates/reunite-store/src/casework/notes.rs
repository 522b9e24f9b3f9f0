//! Case notes: dated entries of a kind, with a text (sealed) and a visibility.

use super::{CaseworkRefusal, open_text, seal_text};
use crate::{CaseActor, Store, StoreError};
use reunite_domain::casework::{NoteKind, NoteVisibility, valid_date};
use reunite_domain::{Action, Role, Timestamp, UserId, Vocab};
use sqlx::Row;

const TABLE: &str = "case_notes";
/// Longest note text.
pub const MAX_NOTE: usize = 20_000;

/// A note to add.
#[derive(Debug, Clone)]
pub struct NewNote {
    /// What it records.
    pub kind: NoteKind,
    /// Who reads it.
    pub visibility: NoteVisibility,
    /// The day it happened, `YYYY-MM-DD`.
    pub noted_on: String,
    /// The text.
    pub text: String,
}

/// A note as listed. `text` is `None` for a restricted note (opened one at a time, by
/// [`Store::read_restricted_note`]).
#[derive(Debug, Clone)]
pub struct Note {
    /// Opaque id.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// What it records.
    pub kind: NoteKind,
    /// Who reads it.
    pub visibility: NoteVisibility,
    /// Who wrote it.
    pub author: UserId,
    /// The day it happened.
    pub noted_on: String,
    /// When it was written.
    pub created_at: Timestamp,
    /// The text, if opened.
    pub text: Option<String>,
}

/// What of a note is in clear: enough to decide who may open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteMeta {
    /// The case.
    pub case_id: String,
    /// Who wrote it.
    pub author: UserId,
    /// Who reads it.
    pub visibility: NoteVisibility,
}

impl Store {
    /// Adds a note to a case (audited as `record_create/case_note` in the same
    /// transaction). `NotFound` without the case.
    pub async fn add_note(
        &self,
        case_id: &str,
        note: &NewNote,
        author: &UserId,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        if !valid_date(&note.noted_on) {
            return Err(StoreError::Casework(CaseworkRefusal::Invalid("date")));
        }
        if note.text.trim().is_empty() || note.text.len() > MAX_NOTE {
            return Err(StoreError::Casework(CaseworkRefusal::Invalid("text")));
        }
        let (key_id, key) = self.casework_key(case_id).await?;
        let id = crate::new_id("note");
        let enc = seal_text(&key, &key_id, TABLE, "text_enc", &id, &note.text);
        let actor = CaseActor::Staff(author.clone());
        let event = self
            .casework_event(&actor, Action::RecordCreate, case_id, "case_note")
            .await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "INSERT INTO case_notes (id, case_id, key_id, kind, visibility, author, noted_on, \
             text_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(case_id)
            .bind(&key_id)
            .bind(note.kind.as_str())
            .bind(note.visibility.as_str())
            .bind(&author.0)
            .bind(&note.noted_on)
            .bind(enc)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(&mut tx, &event, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Who wrote a note, of which case, for whom.
    pub async fn note_meta(&self, id: &str) -> Result<Option<NoteMeta>, StoreError> {
        let q = self
            .backend
            .sql("SELECT case_id, author, visibility FROM case_notes WHERE id = $1");
        let row = sqlx::query(&q).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| {
            Ok(NoteMeta {
                case_id: r.try_get("case_id")?,
                author: UserId(r.try_get("author")?),
                visibility: parse(&r.try_get::<String, _>("visibility")?)?,
            })
        })
        .transpose()
    }

    /// The notes of a case, newest day first, with the texts of the team's notes opened
    /// (restricted notes without text). The audit event (`sensitive_read/case_notes`) is
    /// written first; if it cannot be, nothing is opened.
    pub async fn list_notes(
        &self,
        case_id: &str,
        actor: &CaseActor,
        now: Timestamp,
    ) -> Result<Vec<Note>, StoreError> {
        let (_, key) = self.casework_key(case_id).await?;
        let event = self
            .casework_event(actor, Action::SensitiveRead, case_id, "case_notes")
            .await?;
        self.append_audit(&event, now).await?;
        let q = self.backend.sql(
            "SELECT id, case_id, kind, visibility, author, noted_on, created_at, text_enc \
             FROM case_notes WHERE case_id = $1 ORDER BY noted_on DESC, created_at DESC, id",
        );
        let rows = sqlx::query(&q).bind(case_id).fetch_all(&self.pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let mut n = note_from_row(r)?;
            if n.visibility == NoteVisibility::Team {
                let enc: Vec<u8> = r.try_get("text_enc")?;
                n.text = Some(open_text(&key, TABLE, "text_enc", &n.id, &enc)?);
            }
            out.push(n);
        }
        Ok(out)
    }

    /// Opens one restricted note for `reader`: only its author (still on the case) or a
    /// caseworker who supervises the case's team; never the rest of the team, an admin or
    /// break-glass (`Casework(Restricted)`). The audit event
    /// (`sensitive_read/restricted_note`) is written before the text is opened; if it
    /// cannot be, nothing is opened. A team note opens through this too (audited alike).
    pub async fn read_note(
        &self,
        id: &str,
        reader: &UserId,
        now: Timestamp,
    ) -> Result<Note, StoreError> {
        let meta = self.note_meta(id).await?.ok_or(StoreError::NotFound)?;
        let (_, rel) = self
            .relation(reader, &meta.case_id, now)
            .await?
            .ok_or(StoreError::NotFound)?;
        let role = self.user_by_id(reader).await?.map(|u| u.role);
        let on_case = rel.assigned || rel.team || rel.supervisor;
        let allowed = match meta.visibility {
            NoteVisibility::Team => on_case || rel.glass,
            NoteVisibility::Restricted => {
                (meta.author == *reader && on_case)
                    || (role == Some(Role::Caseworker) && rel.supervisor)
            }
        };
        if !allowed || !matches!(role, Some(Role::Caseworker | Role::Admin)) {
            return Err(StoreError::Casework(CaseworkRefusal::Restricted));
        }
        let detail = match meta.visibility {
            NoteVisibility::Team => "case_note",
            NoteVisibility::Restricted => "restricted_note",
        };
        let event = self
            .casework_event(
                &CaseActor::Staff(reader.clone()),
                Action::SensitiveRead,
                &meta.case_id,
                detail,
            )
            .await?;
        self.append_audit(&event, now).await?;
        let (_, key) = self.casework_key(&meta.case_id).await?;
        let q = self.backend.sql(
            "SELECT id, case_id, kind, visibility, author, noted_on, created_at, text_enc \
             FROM case_notes WHERE id = $1",
        );
        let r = sqlx::query(&q).bind(id).fetch_one(&self.pool).await?;
        let mut n = note_from_row(&r)?;
        let enc: Vec<u8> = r.try_get("text_enc")?;
        n.text = Some(open_text(&key, TABLE, "text_enc", id, &enc)?);
        Ok(n)
    }
}

pub(crate) fn parse<T: Vocab>(s: &str) -> Result<T, StoreError> {
    T::from_stored(s).map_err(|_| StoreError::Corrupt("casework vocabulary"))
}

fn note_from_row(r: &sqlx::any::AnyRow) -> Result<Note, StoreError> {
    Ok(Note {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        kind: parse(&r.try_get::<String, _>("kind")?)?,
        visibility: parse(&r.try_get::<String, _>("visibility")?)?,
        author: UserId(r.try_get("author")?),
        noted_on: r.try_get("noted_on")?,
        created_at: Timestamp(r.try_get("created_at")?),
        text: None,
    })
}
