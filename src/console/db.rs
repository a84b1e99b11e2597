//! The console's own tables in the quarantine database: accounts, sessions,
//! API tokens and sign-in failures (created by migration 5 in
//! [`crate::quarantine::sqlite`]). A connection of its own, so a sign-in
//! never waits behind a queue query; every write is one short statement or
//! transaction, so the milter's holds never wait long behind the console.
//!
//! Secrets are stored only as SHA-256 digests (session ids, token secrets)
//! or Argon2id hashes (passwords): a copy of the database signs nobody in.

use super::error::ConsoleError;
use super::roles::Role;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// A console account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: i64,
}

/// A stored session, found by the digest of its id.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub user: String,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub user: String,
    pub secret_sha256: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// Sign-in failures under one key (`user:NAME` or `addr:IP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: u32,
    /// Unix milliseconds: a delay of one second must not end at the next
    /// tick of a seconds clock.
    pub last_ms: i64,
}

/// The console's connection to the quarantine database.
pub struct ConsoleDb {
    conn: Mutex<Connection>,
}

impl ConsoleDb {
    /// Opens the database file that [`crate::quarantine::sqlite::SqliteStore`]
    /// created and migrated.
    pub fn open(path: &Path) -> Result<ConsoleDb, ConsoleError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.execute_batch("PRAGMA synchronous=FULL;")?;
        Ok(ConsoleDb {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ConsoleError> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&mut guard)?)
    }

    // --- users ---

    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        hash: &str,
        at: i64,
    ) -> Result<(), ConsoleError> {
        let n = self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO console_users (name, role, password_hash, disabled, created_at,
                    password_changed_at) VALUES (?1, ?2, ?3, 0, ?4, ?4)",
                params![name, role.as_str(), hash, at],
            )
        })?;
        if n == 0 {
            return Err(ConsoleError::UserExists(name.to_string()));
        }
        Ok(())
    }

    pub fn user(&self, name: &str) -> Result<Option<User>, ConsoleError> {
        let row = self.with(|c| {
            c.query_row(
                "SELECT name, role, password_hash, disabled, created_at FROM console_users
                 WHERE name = ?1",
                [name],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                    ))
                },
            )
            .optional()
        })?;
        row.map(|(name, role, password_hash, disabled, created_at)| {
            Ok(User {
                role: Role::parse(&role).ok_or_else(|| {
                    ConsoleError::Db(format!("user {name} has an unknown role {role:?}"))
                })?,
                name,
                password_hash,
                disabled: disabled != 0,
                created_at,
            })
        })
        .transpose()
    }

    pub fn users(&self) -> Result<Vec<User>, ConsoleError> {
        let names: Vec<String> = self.with(|c| {
            let mut s = c.prepare("SELECT name FROM console_users ORDER BY name")?;
            let rows = s.query_map([], |r| r.get(0))?.collect();
            rows
        })?;
        let mut out = Vec::new();
        for n in names {
            if let Some(u) = self.user(&n)? {
                out.push(u);
            }
        }
        Ok(out)
    }

    /// Sets an account's role (single sign-on: the provider's role claim
    /// is the source of truth at every sign-in).
    pub fn set_role(&self, name: &str, role: Role) -> Result<(), ConsoleError> {
        self.with(|c| {
            c.execute(
                "UPDATE console_users SET role = ?2 WHERE name = ?1",
                params![name, role.as_str()],
            )
        })?;
        Ok(())
    }

    /// Disables an account and ends its sessions; its tokens stop working
    /// (they are checked against the account at every use).
    pub fn disable_user(&self, name: &str) -> Result<(), ConsoleError> {
        self.update_user_ending_sessions(
            name,
            "UPDATE console_users SET disabled = 1 WHERE name = ?1",
            params![name],
        )
    }

    /// Sets a new password (and enables the account); every session of the
    /// account ends.
    pub fn set_password(&self, name: &str, hash: &str, at: i64) -> Result<(), ConsoleError> {
        self.update_user_ending_sessions(
            name,
            "UPDATE console_users SET password_hash = ?2, password_changed_at = ?3, disabled = 0
             WHERE name = ?1",
            params![name, hash, at],
        )
    }

    /// Runs `update` on the account `name` and ends every session of it, in
    /// one transaction, so no session outlives a change of who may sign in;
    /// [`ConsoleError::NoUser`] when there is no such account.
    fn update_user_ending_sessions(
        &self,
        name: &str,
        update: &str,
        params: impl rusqlite::Params,
    ) -> Result<(), ConsoleError> {
        let n = self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute(update, params)?;
            tx.execute("DELETE FROM console_sessions WHERE user = ?1", [name])?;
            tx.commit()?;
            Ok(n)
        })?;
        if n == 0 {
            return Err(ConsoleError::NoUser(name.to_string()));
        }
        Ok(())
    }

    // --- sessions ---

    pub fn add_session(
        &self,
        id_sha256: &str,
        user: &str,
        csrf: &str,
        at: i64,
        client: Option<&str>,
    ) -> Result<(), ConsoleError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO console_sessions (id_sha256, user, csrf, created_at, last_seen_at, client_addr)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                params![id_sha256, user, csrf, at, client],
            )
        })?;
        Ok(())
    }

    pub fn session(&self, id_sha256: &str) -> Result<Option<SessionRow>, ConsoleError> {
        self.with(|c| {
            c.query_row(
                "SELECT user, csrf, created_at, last_seen_at FROM console_sessions WHERE id_sha256 = ?1",
                [id_sha256],
                |r| {
                    Ok(SessionRow {
                        user: r.get(0)?,
                        csrf: r.get(1)?,
                        created_at: r.get(2)?,
                        last_seen_at: r.get(3)?,
                    })
                },
            )
            .optional()
        })
    }

    pub fn touch_session(&self, id_sha256: &str, at: i64) -> Result<(), ConsoleError> {
        self.with(|c| {
            c.execute(
                "UPDATE console_sessions SET last_seen_at = ?2 WHERE id_sha256 = ?1",
                params![id_sha256, at],
            )
        })?;
        Ok(())
    }

    pub fn end_session(&self, id_sha256: &str) -> Result<(), ConsoleError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM console_sessions WHERE id_sha256 = ?1",
                [id_sha256],
            )
        })?;
        Ok(())
    }

    /// Forgets sessions idle since before `idle_before` or started before
    /// `started_before`.
    pub fn end_stale_sessions(
        &self,
        idle_before: i64,
        started_before: i64,
    ) -> Result<usize, ConsoleError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM console_sessions WHERE last_seen_at < ?1 OR created_at < ?2",
                params![idle_before, started_before],
            )
        })
    }

    // --- API tokens ---

    pub fn add_token(
        &self,
        id: &str,
        user: &str,
        secret_sha256: &str,
        at: i64,
    ) -> Result<(), ConsoleError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO console_api_tokens (id, user, secret_sha256, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, user, secret_sha256, at],
            )
        })?;
        Ok(())
    }

    pub fn token(&self, id: &str) -> Result<Option<TokenRow>, ConsoleError> {
        Ok(self.tokens_where("WHERE id = ?1", Some(id))?.pop())
    }

    pub fn tokens(&self) -> Result<Vec<TokenRow>, ConsoleError> {
        self.tokens_where("", None)
    }

    fn tokens_where(&self, cond: &str, arg: Option<&str>) -> Result<Vec<TokenRow>, ConsoleError> {
        self.with(|c| {
            let mut s = c.prepare(&format!(
                "SELECT id, user, secret_sha256, created_at, last_used_at, revoked_at
                 FROM console_api_tokens {cond} ORDER BY created_at, id"
            ))?;
            let rows = s
                .query_map(rusqlite::params_from_iter(arg), |r| {
                    Ok(TokenRow {
                        id: r.get(0)?,
                        user: r.get(1)?,
                        secret_sha256: r.get(2)?,
                        created_at: r.get(3)?,
                        last_used_at: r.get(4)?,
                        revoked_at: r.get(5)?,
                    })
                })?
                .collect();
            rows
        })
    }

    /// Records a use, at most once a minute (a busy script must not turn
    /// every API call into a database write).
    pub fn token_used(&self, id: &str, at: i64) -> Result<(), ConsoleError> {
        self.with(|c| {
            c.execute(
                "UPDATE console_api_tokens SET last_used_at = ?2
                 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2 - 60)",
                params![id, at],
            )
        })?;
        Ok(())
    }

    pub fn revoke_token(&self, id: &str, at: i64) -> Result<bool, ConsoleError> {
        let n = self.with(|c| {
            c.execute(
                "UPDATE console_api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, at],
            )
        })?;
        Ok(n == 1)
    }

    // --- sign-in failures ---

    pub fn failures(&self, key: &str) -> Result<Failures, ConsoleError> {
        Ok(self
            .with(|c| {
                c.query_row(
                    "SELECT failures, last_failure_ms FROM console_login_failures WHERE key = ?1",
                    [key],
                    |r| {
                        Ok(Failures {
                            count: r.get::<_, i64>(0)?.clamp(0, i64::from(u32::MAX)) as u32,
                            last_ms: r.get(1)?,
                        })
                    },
                )
                .optional()
            })?
            .unwrap_or_default())
    }

    /// Counts one more failure under each key; a count older than
    /// `forget_before` starts again from one.
    pub fn add_failure(
        &self,
        keys: &[&str],
        at_ms: i64,
        forget_before_ms: i64,
    ) -> Result<(), ConsoleError> {
        self.with(|c| {
            let tx = c.transaction()?;
            for k in keys {
                tx.execute(
                    "INSERT INTO console_login_failures (key, failures, last_failure_ms) VALUES (?1, 1, ?2)
                     ON CONFLICT(key) DO UPDATE SET
                       failures = CASE WHEN last_failure_ms < ?3 THEN 1 ELSE failures + 1 END,
                       last_failure_ms = ?2",
                    params![k, at_ms, forget_before_ms],
                )?;
            }
            tx.commit()
        })
    }

    pub fn clear_failures(&self, key: &str) -> Result<(), ConsoleError> {
        self.with(|c| c.execute("DELETE FROM console_login_failures WHERE key = ?1", [key]))?;
        Ok(())
    }
}
