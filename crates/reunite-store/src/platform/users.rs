//! Staff accounts. The user name is personal data: stored sealed, found by blind index.
//!
//! Four eyes (issue 16, finding 8): an account made on the office's pages
//! ([`Store::create_user_pending`]), a raise of a role and the re-enabling of a disabled
//! account ([`Store::change_account`]) wait until a different administrator confirms them
//! ([`Store::confirm_account`]); lowering and disabling apply at once. Accounts made on the
//! server itself ([`Store::create_user`]: `reunite init`, `reunite users add`, the demo) are
//! confirmed, since whoever runs commands there holds the master key already.

use crate::db::tx::one_row_or_rollback;
use crate::{Store, StoreError, seal};
use reunite_crypto::DataKey;
use reunite_domain::{
    AccountPlan, Action, Lang, NewAuditEvent, Role, Sensitive, Timestamp, UserId, Username,
};
use sqlx::Row;

const TABLE: &str = "users";

/// A staff account as the application sees it.
#[derive(Debug, Clone)]
pub struct User {
    /// Opaque id.
    pub id: UserId,
    /// Sign-in name (personal data).
    pub username: Sensitive<String>,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string.
    pub password_phc: Sensitive<String>,
    /// Enrolled TOTP secret, if any.
    pub totp_secret: Option<Sensitive<Vec<u8>>>,
    /// TOTP secret being enrolled (shown as a QR code, not yet confirmed).
    pub totp_pending: Option<Sensitive<Vec<u8>>>,
    /// Last TOTP time step accepted (a code is never accepted twice).
    pub totp_last_step: i64,
    /// Must pick a new password at next sign-in (one-time passwords).
    pub must_change_password: bool,
    /// Interface language.
    pub lang: Lang,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// False for a new account that no second administrator has confirmed: it cannot sign
    /// in.
    pub confirmed: bool,
    /// What waits for a second administrator, if anything.
    pub pending: Option<PendingChange>,
    /// Created.
    pub created_at: Timestamp,
}

impl User {
    /// Enabled and confirmed: may sign in, keep a session and be given work.
    pub fn active(&self) -> bool {
        !self.disabled && self.confirmed
    }
}

/// What waits for a second administrator: for a new account (`confirmed == false`) the
/// account itself; for an existing one a raise and/or re-enabling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    /// The administrator who asked; only another may confirm.
    pub by: UserId,
    /// The role the account gets when confirmed (`None`: its role stays).
    pub role: Option<Role>,
    /// The account is enabled when confirmed.
    pub enable: bool,
}

/// What [`Store::change_account`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountUpdate {
    /// Applied; nothing waits.
    Done,
    /// What gives more reach waits for another administrator (whatever took reach away,
    /// if anything, is applied).
    Waiting,
    /// What was asked is how the account already is; nothing was written.
    Unchanged,
    /// A new account that nobody has confirmed yet: confirm or cancel it, nothing else.
    Unconfirmed,
}

/// What [`Store::confirm_account`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Applied.
    Done,
    /// Refused: the administrator who asked cannot be the one who confirms.
    OwnChange,
    /// Refused: nobody confirms a change to their own account.
    OwnAccount,
    /// Refused: what waits is not what the confirming administrator was shown (it changed
    /// meanwhile, was cancelled or confirmed already).
    NotAsShown,
}

/// What [`Store::cancel_pending`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// A new, unconfirmed account was removed (with its data key, so its sealed name is
    /// unreadable anywhere it survives).
    Removed,
    /// The waiting change was dropped; the account stays as it is.
    Dropped,
    /// Nothing waited.
    NothingPending,
}

/// What a list of accounts shows.
#[derive(Debug, Clone)]
pub struct UserSummary {
    /// Opaque id.
    pub id: UserId,
    /// Sign-in name (personal data).
    pub username: Sensitive<String>,
    /// Role.
    pub role: Role,
    /// Whether a second factor is enrolled.
    pub has_second_factor: bool,
    /// Disabled.
    pub disabled: bool,
    /// False for a new account that waits for a second administrator.
    pub confirmed: bool,
    /// What waits for a second administrator, if anything.
    pub pending: Option<PendingChange>,
    /// Created.
    pub created_at: Timestamp,
}

impl UserSummary {
    /// Enabled and confirmed: may sign in and be given work.
    pub fn active(&self) -> bool {
        !self.disabled && self.confirmed
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Sign-in name.
    pub username: Username,
    /// Role.
    pub role: Role,
    /// Argon2id PHC string of the initial (one-time) password.
    pub password_phc: String,
    /// Interface language.
    pub lang: Lang,
    /// Whether the password must be changed at first sign-in.
    pub must_change_password: bool,
}

fn lang_str(l: Lang) -> &'static str {
    match l {
        Lang::Ko => "ko",
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

fn lang_parse(s: &str) -> Lang {
    Lang::from_tag(s).unwrap_or_default()
}

impl Store {
    async fn username_index(&self, name: &Username) -> Result<Vec<u8>, StoreError> {
        self.blind_index("users.username", name.expose().as_bytes())
            .await
    }

    /// Creates a confirmed account and writes its audit event in the same transaction: for
    /// the server's own commands (`init`, `users add`, the demo) and a case's member
    /// account. The office's admin page uses [`Store::create_user_pending`].
    pub async fn create_user(
        &self,
        new: &NewUser,
        actor: &str,
        now: Timestamp,
    ) -> Result<UserId, StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let id = self.create_user_in(&mut tx, new, None, actor, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates a staff account that waits until an administrator other than `by` confirms
    /// it ([`Store::confirm_account`]); until then it cannot sign in.
    pub async fn create_user_pending(
        &self,
        new: &NewUser,
        by: &UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<UserId, StoreError> {
        if new.role == Role::Member {
            return Err(StoreError::Conflict("not a staff account"));
        }
        let (_g, mut tx) = self.begin_write().await?;
        let id = self
            .create_user_in(&mut tx, new, Some(by), actor, now)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates a member account (a mother's) bound to her case, in one transaction with
    /// both audit events: a case has at most one member account.
    pub async fn create_member(
        &self,
        new: &NewUser,
        case_id: &str,
        actor: &str,
        now: Timestamp,
    ) -> Result<UserId, StoreError> {
        if new.role != reunite_domain::Role::Member {
            return Err(StoreError::Conflict("not a member account"));
        }
        if self.case_meta(case_id).await?.is_none() {
            return Err(StoreError::NotFound);
        }
        let subject = self.pseudonym("case", case_id).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("SELECT COUNT(*) FROM members WHERE case_id = $1");
        let n: i64 = sqlx::query_scalar(&q)
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
        if n > 0 {
            return Err(StoreError::Conflict(
                "the case already has a member account",
            ));
        }
        let id = self.create_user_in(&mut tx, new, None, actor, now).await?;
        let q = self
            .backend
            .sql("INSERT INTO members (user_id, case_id) VALUES ($1, $2)");
        sqlx::query(&q)
            .bind(&id.0)
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.to_string(),
                action: reunite_domain::Action::AccountChange,
                subject,
                detail: "member.bind".into(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn create_user_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        new: &NewUser,
        pending_by: Option<&UserId>,
        actor: &str,
        now: Timestamp,
    ) -> Result<UserId, StoreError> {
        let index = self.username_index(&new.username).await?;
        let id = crate::new_id("u");
        let exists: i64 = sqlx::query_scalar(
            &self
                .backend
                .sql("SELECT COUNT(*) FROM users WHERE username_index = $1"),
        )
        .bind(&index)
        .fetch_one(&mut **tx)
        .await?;
        if exists > 0 {
            return Err(StoreError::Conflict("username taken"));
        }
        let (key_id, key) = self.new_data_key(tx, "users", now).await?;
        let name_enc = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field(TABLE, "username_enc", &id),
            new.username.expose().as_bytes(),
        );
        let q = self.backend.sql(
            "INSERT INTO users (id, key_id, username_index, username_enc, role, password_phc, \
             must_change_password, lang, disabled, created_at, updated_at, confirmed, \
             pending_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
        );
        sqlx::query(&q)
            .bind(&id)
            .bind(&key_id)
            .bind(&index)
            .bind(name_enc)
            .bind(new.role.as_str())
            .bind(&new.password_phc)
            .bind(i64::from(new.must_change_password))
            .bind(lang_str(new.lang))
            .bind(0i64)
            .bind(now.millis())
            .bind(i64::from(pending_by.is_none()))
            .bind(pending_by.map(|b| b.0.clone()))
            .execute(&mut **tx)
            .await?;
        let subject = self.pseudonym("user", &id).await?;
        self.append_audit_in(
            tx,
            &NewAuditEvent {
                actor: actor.to_string(),
                action: reunite_domain::Action::AccountCreate,
                subject,
                detail: if pending_by.is_some() {
                    format!("{},pending", new.role.as_str())
                } else {
                    new.role.as_str().to_string()
                },
            },
            now,
        )
        .await?;
        Ok(UserId(id))
    }

    /// Finds an account by sign-in name (through the blind index).
    pub async fn user_by_username(&self, name: &Username) -> Result<Option<User>, StoreError> {
        let index = self.username_index(name).await?;
        let q = self
            .backend
            .sql(&format!("{SELECT_USER} WHERE username_index = $1"));
        let row = sqlx::query(&q)
            .bind(index)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.user_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    /// Finds an account by id.
    pub async fn user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let q = self.backend.sql(&format!("{SELECT_USER} WHERE id = $1"));
        let row = sqlx::query(&q)
            .bind(&id.0)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.user_from_row(&r).await?)),
            None => Ok(None),
        }
    }

    /// Every account, oldest first.
    pub async fn list_users(&self) -> Result<Vec<UserSummary>, StoreError> {
        let rows = sqlx::query(&format!("{SELECT_USER} ORDER BY created_at, id"))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let u = self.user_from_row(&r).await?;
            out.push(UserSummary {
                id: u.id,
                username: u.username,
                role: u.role,
                has_second_factor: u.totp_secret.is_some(),
                disabled: u.disabled,
                confirmed: u.confirmed,
                pending: u.pending,
                created_at: u.created_at,
            });
        }
        Ok(out)
    }

    /// Number of accounts.
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn user_from_row(&self, r: &sqlx::any::AnyRow) -> Result<User, StoreError> {
        let id: String = r.try_get("id")?;
        let key_id: String = r.try_get("key_id")?;
        let key = self.data_key(&key_id).await?;
        let name = reunite_crypto::open_field(
            &key,
            &seal::field(TABLE, "username_enc", &id),
            &r.try_get::<Vec<u8>, _>("username_enc")?,
        )?;
        let open_opt = |col: &str| -> Result<Option<Sensitive<Vec<u8>>>, StoreError> {
            match r.try_get::<Option<Vec<u8>>, _>(col)? {
                Some(env) => Ok(Some(Sensitive::new(
                    reunite_crypto::open_field(&key, &seal::field(TABLE, col, &id), &env)?.to_vec(),
                ))),
                None => Ok(None),
            }
        };
        let role: String = r.try_get("role")?;
        let confirmed = r.try_get::<i64, _>("confirmed")? != 0;
        let pending = match r.try_get::<Option<String>, _>("pending_by")? {
            Some(by) => Some(PendingChange {
                by: UserId(by),
                role: match r.try_get::<Option<String>, _>("pending_role")? {
                    Some(p) => Some(p.parse().map_err(|_| StoreError::Corrupt("pending_role"))?),
                    None => None,
                },
                enable: r.try_get::<i64, _>("pending_enable")? != 0,
            }),
            None => None,
        };
        Ok(User {
            username: Sensitive::new(
                String::from_utf8(name.to_vec()).map_err(|_| StoreError::Corrupt("username"))?,
            ),
            role: role.parse().map_err(|_| StoreError::Corrupt("role"))?,
            password_phc: Sensitive::new(r.try_get("password_phc")?),
            totp_secret: open_opt("totp_enc")?,
            totp_pending: open_opt("totp_pending_enc")?,
            totp_last_step: r.try_get("totp_last_step")?,
            must_change_password: r.try_get::<i64, _>("must_change_password")? != 0,
            lang: lang_parse(&r.try_get::<String, _>("lang")?),
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            confirmed,
            pending,
            created_at: Timestamp(r.try_get("created_at")?),
            id: UserId(id),
        })
    }

    async fn user_key(&self, id: &UserId) -> Result<(String, DataKey), StoreError> {
        let q = self.backend.sql("SELECT key_id FROM users WHERE id = $1");
        let key_id: Option<String> = sqlx::query_scalar(&q)
            .bind(&id.0)
            .fetch_optional(&self.pool)
            .await?;
        let key_id = key_id.ok_or(StoreError::NotFound)?;
        let key = self.data_key(&key_id).await?;
        Ok((key_id, key))
    }

    /// Replaces the password hash (rehash on policy change, or a password change, which
    /// `audit` says: `Some(actor)` writes a password-change event).
    pub async fn set_password(
        &self,
        id: &UserId,
        phc: &str,
        must_change: bool,
        audit: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let subject = self.pseudonym("user", &id.0).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE users SET password_phc = $1, must_change_password = $2, updated_at = $3 \
             WHERE id = $4",
        );
        let n = sqlx::query(&q)
            .bind(phc)
            .bind(i64::from(must_change))
            .bind(now.millis())
            .bind(&id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if let Some(actor) = audit {
            self.append_audit_in(
                &mut tx,
                &NewAuditEvent {
                    actor: actor.into(),
                    action: reunite_domain::Action::PasswordChange,
                    subject,
                    detail: String::new(),
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores a TOTP secret being enrolled (replacing any earlier pending one).
    pub async fn set_totp_pending(
        &self,
        id: &UserId,
        secret: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (key_id, key) = self.user_key(id).await?;
        let env = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field(TABLE, "totp_pending_enc", &id.0),
            secret,
        );
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE users SET totp_pending_enc = $1, updated_at = $2 WHERE id = $3");
        sqlx::query(&q)
            .bind(env)
            .bind(now.millis())
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes the pending TOTP secret the enrolled one, and records the step used to confirm
    /// it (so the same code cannot sign in).
    pub async fn confirm_totp(
        &self,
        id: &UserId,
        step: i64,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (key_id, key) = self.user_key(id).await?;
        let user = self.user_by_id(id).await?.ok_or(StoreError::NotFound)?;
        let pending = user
            .totp_pending
            .ok_or(StoreError::Conflict("no pending second factor"))?;
        let env = reunite_crypto::seal_field(
            &key,
            &key_id,
            &seal::field(TABLE, "totp_enc", &id.0),
            pending.expose(),
        );
        let subject = self.pseudonym("user", &id.0).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql(
            "UPDATE users SET totp_enc = $1, totp_pending_enc = NULL, totp_last_step = $2, \
             updated_at = $3 WHERE id = $4",
        );
        sqlx::query(&q)
            .bind(env)
            .bind(step)
            .bind(now.millis())
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.into(),
                action: reunite_domain::Action::SecondFactorEnrol,
                subject,
                detail: "totp".into(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the TOTP step just accepted, only if it is newer than the last one (so two
    /// concurrent sign-ins with one code cannot both pass). Returns whether it was newer.
    pub async fn advance_totp_step(&self, id: &UserId, step: i64) -> Result<bool, StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1");
        let n = sqlx::query(&q)
            .bind(step)
            .bind(&id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Sets the interface language.
    pub async fn set_user_lang(&self, id: &UserId, lang: Lang) -> Result<(), StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let q = self.backend.sql("UPDATE users SET lang = $1 WHERE id = $2");
        sqlx::query(&q)
            .bind(lang_str(lang))
            .bind(&id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reads what four-eyes decisions compare, inside the write transaction.
    async fn account_state_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: &UserId,
    ) -> Result<AccountState, StoreError> {
        let q = self.backend.sql(
            "SELECT role, disabled, confirmed, pending_by, pending_role, pending_enable, key_id \
             FROM users WHERE id = $1",
        );
        let row = sqlx::query(&q)
            .bind(&id.0)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let parse = |s: String, what| s.parse::<Role>().map_err(|_| StoreError::Corrupt(what));
        Ok(AccountState {
            role: parse(row.try_get("role")?, "role")?,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            confirmed: row.try_get::<i64, _>("confirmed")? != 0,
            pending_by: row.try_get("pending_by")?,
            pending_role: match row.try_get::<Option<String>, _>("pending_role")? {
                Some(p) => Some(parse(p, "pending_role")?),
                None => None,
            },
            pending_enable: row.try_get::<i64, _>("pending_enable")? != 0,
            key_id: row.try_get("key_id")?,
        })
    }

    /// The compare-and-set condition "the row is still as read": appended to an UPDATE or
    /// DELETE whose own placeholders end at `$n - 1`; bind [`AccountState::bind_guard`].
    fn guard_sql(n: usize) -> String {
        format!(
            "id = ${} AND role = ${} AND disabled = ${} AND confirmed = ${} \
             AND COALESCE(pending_by, '') = ${} AND COALESCE(pending_role, '') = ${} \
             AND pending_enable = ${}",
            n,
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5,
            n + 6
        )
    }

    /// Changes an account's role and disabled flag as an administrator (`by`) asks, under
    /// the four-eyes rule ([`AccountPlan`]): a lowering and a disabling apply at once (a
    /// disabled account loses its sessions), and drop whatever waited; a raise and a
    /// re-enabling wait for another administrator. One transaction with its audit events;
    /// a concurrent change is refused ([`StoreError::Conflict`]), never overwritten.
    pub async fn change_account(
        &self,
        id: &UserId,
        role: Role,
        disabled: bool,
        by: &UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<AccountUpdate, StoreError> {
        let subject = self.pseudonym("user", &id.0).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let was = self.account_state_in(&mut tx, id).await?;
        if !was.confirmed {
            tx.rollback().await?;
            return Ok(AccountUpdate::Unconfirmed);
        }
        if role == was.role && disabled == was.disabled {
            tx.rollback().await?;
            return Ok(AccountUpdate::Unchanged);
        }
        let plan = AccountPlan::new(was.role, was.disabled, role, disabled);
        let q = self.backend.sql(&format!(
            "UPDATE users SET role = $1, disabled = $2, pending_by = $3, pending_role = $4, \
             pending_enable = $5, updated_at = $6 WHERE {}",
            Self::guard_sql(7)
        ));
        let query = sqlx::query(&q)
            .bind(plan.role.as_str())
            .bind(i64::from(plan.disabled))
            .bind(plan.waits().then(|| by.0.clone()))
            .bind(plan.pending_role.map(|r| r.as_str().to_string()))
            .bind(i64::from(plan.pending_enable))
            .bind(now.millis());
        let n = was
            .bind_guard(query, id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let Some(mut tx) = one_row_or_rollback(tx, n).await? else {
            return Err(StoreError::Conflict("the account changed meanwhile"));
        };
        if plan.disabled && !was.disabled {
            sqlx::query(&self.backend.sql("DELETE FROM sessions WHERE user_id = $1"))
                .bind(&id.0)
                .execute(&mut *tx)
                .await?;
        }
        let event = |detail: String| NewAuditEvent {
            actor: actor.into(),
            action: Action::AccountChange,
            subject: subject.clone(),
            detail,
        };
        if plan.role != was.role || plan.disabled != was.disabled {
            let detail = format!(
                "{}{}",
                plan.role.as_str(),
                if plan.disabled { ",disabled" } else { "" }
            );
            self.append_audit_in(&mut tx, &event(detail), now).await?;
        }
        if plan.waits() {
            let what: Vec<&str> = plan
                .pending_role
                .map(Role::as_str)
                .into_iter()
                .chain(plan.pending_enable.then_some("enable"))
                .collect();
            let detail = format!("pending:{}", what.join(","));
            self.append_audit_in(&mut tx, &event(detail), now).await?;
        } else if was.pending_by.is_some() {
            let detail = "pending_dropped".to_string();
            self.append_audit_in(&mut tx, &event(detail), now).await?;
        }
        tx.commit().await?;
        Ok(if plan.waits() {
            AccountUpdate::Waiting
        } else {
            AccountUpdate::Done
        })
    }

    /// Confirms what waits on an account, as an administrator (`by`) other than the one who
    /// asked: a new account becomes able to sign in, a raise and a re-enabling apply. `role`
    /// and `enable` are what the confirming administrator was shown (the role the account
    /// will have, and whether it will be enabled); if what waits differs, nothing is done.
    pub async fn confirm_account(
        &self,
        id: &UserId,
        role: Role,
        enable: bool,
        by: &UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<Confirmation, StoreError> {
        if id == by {
            return Ok(Confirmation::OwnAccount);
        }
        let subject = self.pseudonym("user", &id.0).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let was = self.account_state_in(&mut tx, id).await?;
        let refusal = match &was.pending_by {
            None => Some(Confirmation::NotAsShown),
            Some(asked) if *asked == by.0 => Some(Confirmation::OwnChange),
            Some(_) => {
                let becomes = was.pending_role.unwrap_or(was.role);
                (becomes != role || was.pending_enable != enable)
                    .then_some(Confirmation::NotAsShown)
            }
        };
        if let Some(refusal) = refusal {
            tx.rollback().await?;
            return Ok(refusal);
        }
        let q = self.backend.sql(&format!(
            "UPDATE users SET role = $1, disabled = $2, confirmed = 1, pending_by = NULL, \
             pending_role = NULL, pending_enable = 0, updated_at = $3 WHERE {}",
            Self::guard_sql(4)
        ));
        let query = sqlx::query(&q)
            .bind(role.as_str())
            .bind(i64::from(was.disabled && !enable))
            .bind(now.millis());
        let n = was
            .bind_guard(query, id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let Some(mut tx) = one_row_or_rollback(tx, n).await? else {
            return Ok(Confirmation::NotAsShown);
        };
        let detail = if !was.confirmed {
            format!("new:{}", role.as_str())
        } else {
            let what: Vec<&str> = was
                .pending_role
                .map(Role::as_str)
                .into_iter()
                .chain(enable.then_some("enable"))
                .collect();
            what.join(",")
        };
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.into(),
                action: Action::AccountConfirm,
                subject,
                detail,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Confirmation::Done)
    }

    /// Cancels what waits on an account; any administrator may, the one who asked too. A
    /// new account that was never confirmed is removed, with its data key; a waiting raise
    /// or re-enabling is dropped.
    pub async fn cancel_pending(
        &self,
        id: &UserId,
        actor: &str,
        now: Timestamp,
    ) -> Result<Cancellation, StoreError> {
        let subject = self.pseudonym("user", &id.0).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let was = match self.account_state_in(&mut tx, id).await {
            Ok(was) => was,
            Err(StoreError::NotFound) => {
                tx.rollback().await?;
                return Ok(Cancellation::NothingPending);
            }
            Err(e) => return Err(e),
        };
        if was.pending_by.is_none() {
            tx.rollback().await?;
            return Ok(Cancellation::NothingPending);
        }
        let (n, outcome, detail) = if !was.confirmed {
            let q = self
                .backend
                .sql(&format!("DELETE FROM users WHERE {}", Self::guard_sql(1)));
            let n = was
                .bind_guard(sqlx::query(&q), id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            (n, Cancellation::Removed, "cancelled:new")
        } else {
            let q = self.backend.sql(&format!(
                "UPDATE users SET pending_by = NULL, pending_role = NULL, pending_enable = 0, \
                 updated_at = $1 WHERE {}",
                Self::guard_sql(2)
            ));
            let query = sqlx::query(&q).bind(now.millis());
            let n = was
                .bind_guard(query, id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            (n, Cancellation::Dropped, "cancelled")
        };
        let Some(mut tx) = one_row_or_rollback(tx, n).await? else {
            return Err(StoreError::Conflict("the account changed meanwhile"));
        };
        if outcome == Cancellation::Removed {
            // The account's own data key seals only its name (and second factor): without
            // it, the name is unreadable in any copy of the row that survives (a backup).
            sqlx::query(&self.backend.sql("DELETE FROM data_keys WHERE id = $1"))
                .bind(&was.key_id)
                .execute(&mut *tx)
                .await?;
        }
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.into(),
                action: Action::AccountChange,
                subject,
                detail: detail.into(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

/// An account as read for a four-eyes decision, and the guard that it is still so.
struct AccountState {
    role: Role,
    disabled: bool,
    confirmed: bool,
    pending_by: Option<String>,
    pending_role: Option<Role>,
    pending_enable: bool,
    key_id: String,
}

impl AccountState {
    /// Binds the values of [`Store::guard_sql`], in its order.
    fn bind_guard<'q>(
        &self,
        q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        id: &UserId,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        q.bind(id.0.clone())
            .bind(self.role.as_str())
            .bind(i64::from(self.disabled))
            .bind(i64::from(self.confirmed))
            .bind(self.pending_by.clone().unwrap_or_default())
            .bind(self.pending_role.map_or("", Role::as_str))
            .bind(i64::from(self.pending_enable))
    }
}

const SELECT_USER: &str = "SELECT id, key_id, username_enc, role, password_phc, totp_enc, \
     totp_pending_enc, totp_last_step, must_change_password, lang, disabled, confirmed, \
     pending_by, pending_role, pending_enable, created_at FROM users";
