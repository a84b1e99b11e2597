//! Accounts, sign-in, sessions and API tokens: the rules, over
//! [`ConsoleDb`]. The `user` and `token` commands and the console's
//! handlers call these, so both follow one set of rules.

use super::db::{ConsoleDb, User};
use super::error::ConsoleError;
use super::roles::Role;
use super::secrets;
use crate::config::ConsoleConfig;

/// Failures older than this are forgotten: a typo last week costs nothing today.
const FORGET_FAILURES_MS: i64 = 24 * 3600 * 1000;

/// How often at most a session's last use is written.
const TOUCH_EVERY_SECS: i64 = 60;

/// The password hash of an account made by single sign-on: not a PHC
/// string, so no password verifies against it (`user passwd` can give the
/// person a local password later).
pub const SSO_ONLY_HASH: &str = "!sso";

/// The outcome of a sign-in attempt.
#[derive(Debug)]
pub enum SignIn {
    /// Signed in: the session id for the cookie, and its CSRF token.
    Ok { user: User, session_id: String },
    /// Too soon after failures under this account or address: try again
    /// in this many seconds.
    Wait(u64),
    /// Wrong name or password (or a disabled account: not told apart); the
    /// next attempt must wait this many seconds.
    Wrong(u64),
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    /// The digest the session is stored under (to sign out).
    pub key: String,
}

/// The rules of accounts over the console tables.
pub struct Accounts {
    pub db: ConsoleDb,
    pub config: ConsoleConfig,
    /// Where changes to accounts and tokens are audited (who may see and
    /// release held mail is part of the record the DPO keeps).
    pub audit: Option<std::sync::Arc<dyn crate::quarantine::Store>>,
}

/// A user name: what people type, and what the audit trail shows after
/// `console:`; no spaces or control characters, so an entry cannot be forged
/// to look like another actor.
pub fn check_name(name: &str) -> Result<(), ConsoleError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ConsoleError::Invalid(format!(
            "{name:?} is not a user name: use letters, digits and . - _ @ (up to 64)"
        )))
    }
}

impl Accounts {
    /// Opens (creating and migrating) the quarantine database under
    /// `data_dir` and the console's tables in it: what the `user` and
    /// `token` commands need, without the rest of the console.
    pub fn open(
        config: &crate::config::Config,
        data_dir: &std::path::Path,
    ) -> Result<Accounts, ConsoleError> {
        let store = crate::quarantine::sqlite::SqliteStore::open_with_audit_key(
            data_dir,
            config.quarantine.audit_key.as_deref(),
        )?;
        Ok(Accounts {
            db: ConsoleDb::open(&data_dir.join(crate::quarantine::sqlite::DB_FILE))?,
            config: config.console.clone(),
            audit: Some(std::sync::Arc::new(store)),
        })
    }

    /// Appends an `account` entry to the audit trail: `what` happened to
    /// `subject` (a user or token), done by `by`. Never a password or secret.
    pub fn audit(
        &self,
        what: &str,
        subject: &str,
        by: &str,
        extra: serde_json::Value,
    ) -> Result<(), ConsoleError> {
        let Some(store) = &self.audit else {
            return Ok(());
        };
        let mut detail = serde_json::json!({ "action": what, "subject": subject });
        if let (Some(d), serde_json::Value::Object(x)) = (detail.as_object_mut(), extra) {
            d.extend(x);
        }
        store.append_audit(&crate::audit::NewEntry::new(
            crate::dates::now(),
            crate::audit::Event::Account,
            None,
            by,
            detail,
        ))?;
        Ok(())
    }

    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
        now: i64,
    ) -> Result<(), ConsoleError> {
        check_name(name)?;
        let hash = secrets::hash_password(password)?;
        self.db.add_user(name, role, &hash, now)
    }

    pub fn set_password(&self, name: &str, password: &str, now: i64) -> Result<(), ConsoleError> {
        let hash = secrets::hash_password(password)?;
        self.db.set_password(name, &hash, now)
    }

    fn user_key(name: &str) -> String {
        format!("user:{}", name.to_lowercase())
    }

    fn addr_key(addr: &str) -> String {
        format!("addr:{addr}")
    }

    /// Milliseconds before `name` may try again from `addr`.
    pub fn wait_ms(&self, name: &str, addr: &str, now_ms: i64) -> Result<u64, ConsoleError> {
        let c = &self.config;
        let mut wait = 0;
        for key in [Self::user_key(name), Self::addr_key(addr)] {
            let f = self.db.failures(&key)?;
            if now_ms - f.last_ms < FORGET_FAILURES_MS {
                wait = wait.max(secrets::wait_ms(
                    f.count,
                    f.last_ms,
                    now_ms,
                    c.login_delay_secs,
                    c.login_delay_max_secs,
                ));
            }
        }
        Ok(wait)
    }

    /// Checks a password, throttled per account and per client address
    /// (see [`secrets::wait_ms`]). Slow on purpose (Argon2id): call it off
    /// the async threads. `now_ms`: unix milliseconds.
    pub fn sign_in(
        &self,
        name: &str,
        password: &str,
        addr: &str,
        now_ms: i64,
    ) -> Result<SignIn, ConsoleError> {
        let wait = self.wait_ms(name, addr, now_ms)?;
        if wait > 0 {
            return Ok(SignIn::Wait(secrets::whole_secs(wait)));
        }
        let user = self.db.user(name)?.filter(|u| !u.disabled);
        let hash = user
            .as_ref()
            .map(|u| u.password_hash.as_str())
            .unwrap_or(secrets::dummy_hash());
        let matches = secrets::verify_password(password, hash);
        let (Some(user), true) = (user, matches) else {
            let (u, a) = (Self::user_key(name), Self::addr_key(addr));
            // The time of the answer, not of the question: the wait counts
            // from when the person learns they were wrong.
            let at = now_ms.max(now_millis());
            self.db
                .add_failure(&[&u, &a], at, at - FORGET_FAILURES_MS)?;
            let next = self.wait_ms(name, addr, at)?;
            return Ok(SignIn::Wrong(secrets::whole_secs(next)));
        };
        self.db.clear_failures(&Self::user_key(name))?;
        let session_id = self.new_session(&user, addr, now_ms / 1000)?;
        Ok(SignIn::Ok { user, session_id })
    }

    /// A fresh session for `user` (stale ones swept first); returns the id
    /// for the cookie. The same for a password and a single sign-on.
    fn new_session(&self, user: &User, addr: &str, now: i64) -> Result<String, ConsoleError> {
        let c = &self.config;
        self.db
            .end_stale_sessions(now - idle_secs(c), now - max_secs(c))?;
        let session_id = secrets::random_token(32);
        let csrf = secrets::random_token(32);
        self.db.add_session(
            &secrets::digest(&session_id),
            &user.name,
            &csrf,
            now,
            Some(addr),
        )?;
        Ok(session_id)
    }

    /// Signs in a person the organisation's OpenID Connect provider vouched
    /// for (see [`super::oidc`]): their account is created on first sign-in
    /// with no usable password, and its role follows the provider's claim at
    /// every sign-in (audited when it changes). A disabled account stays
    /// out: None. The session is the same as after a password sign-in.
    pub fn sso_sign_in(
        &self,
        name: &str,
        role: Role,
        addr: &str,
        now: i64,
    ) -> Result<Option<(User, String)>, ConsoleError> {
        check_name(name)?;
        let by = format!("console:{name}");
        match self.db.user(name)? {
            Some(u) if u.disabled => return Ok(None),
            Some(u) if u.role != role => {
                self.db.set_role(name, role)?;
                self.audit(
                    "role_changed",
                    name,
                    &by,
                    serde_json::json!({ "from": u.role.as_str(), "role": role.as_str(), "via": "oidc" }),
                )?;
            }
            Some(_) => {}
            None => {
                // Not an Argon2 hash: no password ever matches it.
                self.db.add_user(name, role, SSO_ONLY_HASH, now)?;
                self.audit(
                    "user_added",
                    name,
                    &by,
                    serde_json::json!({ "role": role.as_str(), "via": "oidc" }),
                )?;
            }
        }
        let Some(user) = self.db.user(name)? else {
            return Ok(None);
        };
        let session_id = self.new_session(&user, addr, now)?;
        Ok(Some((user, session_id)))
    }

    /// The session behind a cookie value, if it is live and its account
    /// enabled; an expired one is removed.
    pub fn session(&self, session_id: &str, now: i64) -> Result<Option<Session>, ConsoleError> {
        let key = secrets::digest(session_id);
        let Some(row) = self.db.session(&key)? else {
            return Ok(None);
        };
        let c = &self.config;
        if now - row.last_seen_at > idle_secs(c) || now - row.created_at > max_secs(c) {
            self.db.end_session(&key)?;
            return Ok(None);
        }
        let Some(user) = self.db.user(&row.user)?.filter(|u| !u.disabled) else {
            self.db.end_session(&key)?;
            return Ok(None);
        };
        if now - row.last_seen_at >= TOUCH_EVERY_SECS {
            self.db.touch_session(&key, now)?;
        }
        Ok(Some(Session {
            user,
            csrf: row.csrf,
            key,
        }))
    }

    pub fn sign_out(&self, session: &Session) -> Result<(), ConsoleError> {
        self.db.end_session(&session.key)
    }

    /// A new API token for `user`; the whole token is returned once and only
    /// its digest is kept.
    pub fn create_token(&self, user: &str, now: i64) -> Result<(String, String), ConsoleError> {
        let u = self
            .db
            .user(user)?
            .ok_or_else(|| ConsoleError::NoUser(user.to_string()))?;
        if u.disabled {
            return Err(ConsoleError::Invalid(format!("user {user} is disabled")));
        }
        let (id, secret, token) = secrets::new_api_token();
        self.db
            .add_token(&id, user, &secrets::digest(&secret), now)?;
        Ok((id, token))
    }

    /// The account behind a bearer token: the token must be live and its
    /// account enabled; the account's role applies.
    pub fn token_user(&self, token: &str, now: i64) -> Result<Option<User>, ConsoleError> {
        let Some((id, secret)) = secrets::parse_api_token(token) else {
            return Ok(None);
        };
        let Some(row) = self.db.token(id)? else {
            return Ok(None);
        };
        if row.revoked_at.is_some() || !secrets::same(&row.secret_sha256, &secrets::digest(secret))
        {
            return Ok(None);
        }
        let Some(user) = self.db.user(&row.user)?.filter(|u| !u.disabled) else {
            return Ok(None);
        };
        self.db.token_used(id, now)?;
        Ok(Some(user))
    }
}

/// The clock in unix milliseconds (sign-in delays).
pub fn now_millis() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(i64::MAX)
}

fn idle_secs(c: &ConsoleConfig) -> i64 {
    i64::try_from(c.session_idle_minutes.max(1).saturating_mul(60)).unwrap_or(i64::MAX)
}

fn max_secs(c: &ConsoleConfig) -> i64 {
    i64::try_from(c.session_max_hours.max(1).saturating_mul(3600)).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> (tempfile::TempDir, Accounts) {
        let dir = tempfile::tempdir().unwrap();
        crate::quarantine::sqlite::SqliteStore::open(dir.path()).unwrap();
        let db = ConsoleDb::open(&dir.path().join(crate::quarantine::sqlite::DB_FILE)).unwrap();
        (
            dir,
            Accounts {
                db,
                config: ConsoleConfig::default(),
                audit: None,
            },
        )
    }

    #[test]
    fn single_sign_on_makes_the_account_follows_its_role_and_respects_disabling() {
        let (_d, a) = accounts();
        let now = 1_700_000_000;
        let (user, sid) = a
            .sso_sign_in("jo@school.org.uk", Role::Dpo, "10.0.0.1", now)
            .unwrap()
            .expect("signed in");
        assert_eq!(
            (user.name.as_str(), user.role),
            ("jo@school.org.uk", Role::Dpo)
        );
        let s = a.session(&sid, now + 1).unwrap().expect("a live session");
        assert_eq!(s.user.role, Role::Dpo);
        assert!(!s.csrf.is_empty());
        // No password signs in to an account made by single sign-on.
        for (i, pw) in ["", "!sso", SSO_ONLY_HASH].into_iter().enumerate() {
            // Minutes apart: past the growing delay, so each is a real try.
            let at = i64::MAX / 4 + i as i64 * 600_000;
            let r = a.sign_in("jo@school.org.uk", pw, "10.0.0.9", at).unwrap();
            assert!(matches!(r, SignIn::Wrong(_)), "{pw:?}: {r:?}");
        }
        // The provider now says auditor: the account follows.
        let (user, _) = a
            .sso_sign_in("jo@school.org.uk", Role::Auditor, "10.0.0.1", now + 5)
            .unwrap()
            .unwrap();
        assert_eq!(user.role, Role::Auditor);
        // Disabled here: the provider's word does not bring them back.
        a.db.disable_user("jo@school.org.uk").unwrap();
        assert!(a
            .sso_sign_in("jo@school.org.uk", Role::Dpo, "10.0.0.1", now + 9)
            .unwrap()
            .is_none());
        assert!(a.session(&sid, now + 10).unwrap().is_none());
        // A name the console cannot use (and could not audit unambiguously).
        assert!(a
            .sso_sign_in("jo smith@school.org.uk", Role::Dpo, "10.0.0.1", now)
            .is_err());
    }

    #[test]
    fn sign_in_throttles_per_account_and_forgets_on_success() {
        let (_d, a) = accounts();
        a.add_user("anna", Role::Dpo, "a long passphrase", 1000)
            .unwrap();
        // Far in the future, so the failure is recorded at the given time.
        let t = i64::MAX / 4;
        let r = a.sign_in("anna", "wrong password!", "10.0.0.1", t).unwrap();
        assert!(matches!(r, SignIn::Wrong(1)), "{r:?}");
        // Too soon, even with the right password and from another address.
        let r = a
            .sign_in("anna", "a long passphrase", "10.0.0.2", t + 10)
            .unwrap();
        assert!(matches!(r, SignIn::Wait(1)), "{r:?}");
        let r = a
            .sign_in("anna", "wrong password!", "10.0.0.1", t + 1000)
            .unwrap();
        assert!(matches!(r, SignIn::Wrong(2)), "{r:?}");
        let r = a
            .sign_in("anna", "a long passphrase", "10.0.0.2", t + 1500)
            .unwrap();
        assert!(matches!(r, SignIn::Wait(2)), "{r:?}");
        let SignIn::Ok { session_id, .. } = a
            .sign_in("anna", "a long passphrase", "10.0.0.2", t + 3000)
            .unwrap()
        else {
            panic!("the right password after the wait must sign in");
        };
        assert_eq!(a.wait_ms("anna", "10.0.0.2", t + 3000).unwrap(), 0);
        let now = (t + 3000) / 1000;
        let s = a.session(&session_id, now + 1).unwrap().unwrap();
        assert_eq!(s.user.name, "anna");
        // Idle too long: gone.
        assert!(a.session(&session_id, now + 31 * 60).unwrap().is_none());
    }

    #[test]
    fn unknown_and_disabled_accounts_fail_alike() {
        let (_d, a) = accounts();
        a.add_user("ben", Role::Auditor, "another passphrase", 0)
            .unwrap();
        a.db.disable_user("ben").unwrap();
        assert!(matches!(
            a.sign_in("ben", "another passphrase", "a", 10).unwrap(),
            SignIn::Wrong(_)
        ));
        assert!(matches!(
            a.sign_in("nobody", "another passphrase", "b", 10).unwrap(),
            SignIn::Wrong(_)
        ));
        assert!(a
            .add_user("ben", Role::Dpo, "another passphrase", 0)
            .is_err());
        assert!(a
            .add_user("two words", Role::Dpo, "another passphrase", 0)
            .is_err());
    }

    #[test]
    fn tokens_work_until_revoked_or_the_account_is_disabled() {
        let (_d, a) = accounts();
        a.add_user("ops", Role::Dpo, "a long passphrase", 0)
            .unwrap();
        let (id, token) = a.create_token("ops", 0).unwrap();
        assert_eq!(a.token_user(&token, 1).unwrap().unwrap().name, "ops");
        let forged = format!("{}x", &token[..token.len() - 1]);
        assert!(a.token_user(&forged, 1).unwrap().is_none());
        assert!(a.db.revoke_token(&id, 2).unwrap());
        assert!(a.token_user(&token, 3).unwrap().is_none());
        let (_, t2) = a.create_token("ops", 4).unwrap();
        a.db.disable_user("ops").unwrap();
        assert!(a.token_user(&t2, 5).unwrap().is_none());
    }
}
