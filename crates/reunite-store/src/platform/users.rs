//! Staff accounts. The user name is personal data: stored sealed, found by blind index.

use crate::{Store, StoreError, seal};
use reunite_crypto::DataKey;
use reunite_domain::{Lang, NewAuditEvent, Role, Sensitive, Timestamp, UserId, Username};
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
    /// Created.
    pub created_at: Timestamp,
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
    /// Created.
    pub created_at: Timestamp,
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

    /// Creates an account and writes its audit event in the same transaction.
    pub async fn create_user(
        &self,
        new: &NewUser,
        actor: &str,
        now: Timestamp,
    ) -> Result<UserId, StoreError> {
        let (_g, mut tx) = self.begin_write().await?;
        let id = self.create_user_in(&mut tx, new, actor, now).await?;
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
        let id = self.create_user_in(&mut tx, new, actor, now).await?;
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
             must_change_password, lang, disabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
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
            .execute(&mut **tx)
            .await?;
        let subject = self.pseudonym("user", &id).await?;
        self.append_audit_in(
            tx,
            &NewAuditEvent {
                actor: actor.to_string(),
                action: reunite_domain::Action::AccountCreate,
                subject,
                detail: new.role.as_str().to_string(),
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

    /// Changes role and disabled flag; a disabled account loses its sessions at once.
    pub async fn update_account(
        &self,
        id: &UserId,
        role: Role,
        disabled: bool,
        actor: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let subject = self.pseudonym("user", &id.0).await?;
        let (_g, mut tx) = self.begin_write().await?;
        let q = self
            .backend
            .sql("UPDATE users SET role = $1, disabled = $2, updated_at = $3 WHERE id = $4");
        let n = sqlx::query(&q)
            .bind(role.as_str())
            .bind(i64::from(disabled))
            .bind(now.millis())
            .bind(&id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query(&self.backend.sql("DELETE FROM sessions WHERE user_id = $1"))
                .bind(&id.0)
                .execute(&mut *tx)
                .await?;
        }
        self.append_audit_in(
            &mut tx,
            &NewAuditEvent {
                actor: actor.into(),
                action: reunite_domain::Action::AccountChange,
                subject,
                detail: format!(
                    "{}{}",
                    role.as_str(),
                    if disabled { ",disabled" } else { "" }
                ),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

const SELECT_USER: &str = "SELECT id, key_id, username_enc, role, password_phc, totp_enc, \
     totp_pending_enc, totp_last_step, must_change_password, lang, disabled, created_at FROM users";
