//! The activity log: every change Safehold makes, kept in a SQLite file in the app data folder.
//!
//! A change is recorded by [`ActivityLog::begin`] before it is sent and completed by
//! [`ActivityLog::finish`] after, so when Safehold stops in between, the entry stays
//! [`ActivityOutcome::InFlight`] and says what may have happened. The file is readable by the user only.
//! The schema moves forward through [`MIGRATIONS`], counted in SQLite's `user_version`; a file
//! from a newer Safehold is left alone rather than rewritten.
//!
//! SQLite blocks, so every call runs on tokio's blocking pool, one at a time on one connection.
//! Nothing secret is ever written here: callers pass descriptions of changes, not requests.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, params};
use safehold_core::activity::{
    ActivityEntry, ActivityFilter, ActivityKind, ActivityOutcome, ExportFormat, NewActivity,
    rfc3339, to_csv,
};
use safehold_core::clock::Clock;
use safehold_core::{Advice, ErrorCode, Problem};

/// The schema, one step per version: step `n` takes a file from `user_version` `n` to `n + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the entries.
    "CREATE TABLE activity (
        id TEXT PRIMARY KEY NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        kind TEXT NOT NULL,
        account_id TEXT NOT NULL,
        principal_name TEXT NOT NULL,
        target_id TEXT NOT NULL,
        target_name TEXT NOT NULL,
        request_id TEXT,
        correlation_id TEXT NOT NULL,
        before TEXT,
        after TEXT,
        outcome TEXT NOT NULL
    );",
    // 2: newest first without a full sort.
    "CREATE INDEX activity_by_start ON activity (started_at DESC);",
];

/// What can go wrong with the log.
#[derive(Debug, thiserror::Error)]
pub enum ActivityError {
    /// SQLite failed.
    #[error("the activity database failed")]
    Database(#[from] rusqlite::Error),
    /// The file or its folder could not be made.
    #[error("the activity file could not be prepared")]
    File(#[from] std::io::Error),
    /// A stored entry or an export could not be (de)serialized.
    #[error("an activity entry could not be read or written as JSON")]
    Json(#[from] serde_json::Error),
    /// The file was written by a newer Safehold.
    #[error("the activity file has schema {found}; this Safehold knows up to {known}")]
    NewerSchema {
        /// The file's version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A stored value is not one this build knows.
    #[error("a stored activity entry has an unknown {field}")]
    Unknown {
        /// Which column.
        field: &'static str,
    },
    /// No entry has this id.
    #[error("no activity entry has this id")]
    NoSuchEntry,
    /// The blocking task did not finish.
    #[error("the activity log's worker stopped")]
    Worker(#[from] tokio::task::JoinError),
}

impl ActivityError {
    /// The code the UI branches on.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::Internal
    }
}

impl From<ActivityError> for safehold_core::Error {
    fn from(error: ActivityError) -> Self {
        Self::new(error.code(), Problem::ActivityLogUnavailable)
            .with_advice(Advice::CheckDataFolder)
            .with_source(error)
    }
}

/// The log's result type.
pub type Result<T, E = ActivityError> = std::result::Result<T, E>;

/// Ids the service gave a change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestIds {
    /// The service's request id.
    pub request_id: Option<String>,
    /// The service's correlation id, replacing the one Safehold made at the start.
    pub correlation_id: Option<String>,
}

/// The activity log, open on its file.
pub struct ActivityLog {
    connection: Arc<Mutex<Connection>>,
    clock: Arc<dyn Clock>,
    path: PathBuf,
}

impl std::fmt::Debug for ActivityLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivityLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ActivityLog {
    /// Opens the log at `path`, making it (readable by the user only) and bringing its schema
    /// up to date.
    pub async fn open(path: PathBuf, clock: Arc<dyn Clock>) -> Result<Self> {
        let at = path.clone();
        let connection = tokio::task::spawn_blocking(move || open_file(&at)).await??;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            clock,
            path,
        })
    }

    /// A log in memory only, for when the file cannot be opened: this run's changes are still
    /// recorded before they are sent.
    pub async fn open_in_memory(clock: Arc<dyn Clock>) -> Result<Self> {
        let connection = tokio::task::spawn_blocking(|| {
            let mut connection = Connection::open_in_memory()?;
            migrate(&mut connection)?;
            Ok::<_, ActivityError>(connection)
        })
        .await??;
        Ok(Self {
            connection: Arc::new(Mutex::new(connection)),
            clock,
            path: PathBuf::from(":memory:"),
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut connection)
        })
        .await?
    }

    /// Records a change about to be sent, in flight; returns the entry's id.
    pub async fn begin(&self, change: NewActivity) -> Result<String> {
        let id = uuid::Uuid::new_v4().to_string();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let started_at = rfc3339(self.clock.now());
        let outcome = serde_json::to_string(&ActivityOutcome::InFlight)?;
        let entry_id = id.clone();
        self.with(move |c| {
            c.execute(
                "INSERT INTO activity (id, started_at, kind, account_id, principal_name,
                    target_id, target_name, correlation_id, before, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    entry_id,
                    started_at,
                    change.kind.as_str(),
                    change.account_id,
                    change.principal_name,
                    change.target_id,
                    change.target_name,
                    correlation_id,
                    change.before,
                    outcome,
                ],
            )?;
            Ok(())
        })
        .await?;
        Ok(id)
    }

    /// Records how the change `id` ended, what was applied, and the service's ids.
    pub async fn finish(
        &self,
        id: &str,
        outcome: &ActivityOutcome,
        after: Option<String>,
        ids: RequestIds,
    ) -> Result<()> {
        let finished_at = rfc3339(self.clock.now());
        let outcome = serde_json::to_string(outcome)?;
        let id = id.to_owned();
        self.with(move |c| {
            let changed = c.execute(
                "UPDATE activity SET finished_at = ?2, outcome = ?3, after = ?4,
                    request_id = COALESCE(?5, request_id),
                    correlation_id = COALESCE(?6, correlation_id)
                 WHERE id = ?1",
                params![
                    id,
                    finished_at,
                    outcome,
                    after,
                    ids.request_id,
                    ids.correlation_id
                ],
            )?;
            if changed == 0 {
                return Err(ActivityError::NoSuchEntry);
            }
            Ok(())
        })
        .await
    }

    /// The entries `filter` keeps, newest first.
    pub async fn list(&self, filter: ActivityFilter) -> Result<Vec<ActivityEntry>> {
        self.with(move |c| {
            let mut statement = c.prepare(
                "SELECT id, started_at, finished_at, kind, account_id, principal_name,
                    target_id, target_name, request_id, correlation_id, before, after, outcome
                 FROM activity ORDER BY started_at DESC, rowid DESC",
            )?;
            let rows = statement.query_map([], |r| {
                Ok((
                    Row {
                        id: r.get(0)?,
                        started_at: r.get(1)?,
                        finished_at: r.get(2)?,
                        account_id: r.get(4)?,
                        principal_name: r.get(5)?,
                        target_id: r.get(6)?,
                        target_name: r.get(7)?,
                        request_id: r.get(8)?,
                        correlation_id: r.get(9)?,
                        before: r.get(10)?,
                        after: r.get(11)?,
                    },
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(12)?,
                ))
            })?;
            let mut entries = Vec::new();
            for row in rows {
                let (row, kind, outcome) = row?;
                let entry = row.into_entry(&kind, &outcome)?;
                if filter.matches(&entry) {
                    entries.push(entry);
                }
            }
            Ok(entries)
        })
        .await
    }

    /// The entries `filter` keeps, as CSV.
    pub async fn export_csv(&self, filter: ActivityFilter) -> Result<String> {
        Ok(to_csv(&self.list(filter).await?))
    }

    /// The entries `filter` keeps, as a JSON array.
    pub async fn export_json(&self, filter: ActivityFilter) -> Result<String> {
        Ok(serde_json::to_string_pretty(&self.list(filter).await?)?)
    }

    /// The entries `filter` keeps, in `format`.
    pub async fn export(&self, format: ExportFormat, filter: ActivityFilter) -> Result<String> {
        match format {
            ExportFormat::Csv => self.export_csv(filter).await,
            ExportFormat::Json => self.export_json(filter).await,
        }
    }
}

/// A row's plain columns.
struct Row {
    id: String,
    started_at: String,
    finished_at: Option<String>,
    account_id: String,
    principal_name: String,
    target_id: String,
    target_name: String,
    request_id: Option<String>,
    correlation_id: String,
    before: Option<String>,
    after: Option<String>,
}

impl Row {
    fn into_entry(self, kind: &str, outcome: &str) -> Result<ActivityEntry> {
        Ok(ActivityEntry {
            id: self.id,
            started_at: self.started_at,
            finished_at: self.finished_at,
            kind: ActivityKind::parse(kind).ok_or(ActivityError::Unknown { field: "kind" })?,
            account_id: self.account_id,
            principal_name: self.principal_name,
            target_id: self.target_id,
            target_name: self.target_name,
            request_id: self.request_id,
            correlation_id: self.correlation_id,
            before: self.before,
            after: self.after,
            outcome: serde_json::from_str(outcome)
                .map_err(|_| ActivityError::Unknown { field: "outcome" })?,
        })
    }
}

fn open_file(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    make_private(path)?;
    let mut connection = Connection::open(path)?;
    // SQLite gives its journal the database file's mode, so the journal is private too.
    migrate(&mut connection)?;
    Ok(connection)
}

/// Creates the file readable and writable by the user only, or narrows an existing one.
fn make_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        options.open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    {
        // Elsewhere the app data folder is the user's own (its ACL is inherited).
        options.open(path)?;
    }
    Ok(())
}

/// Brings the schema to the newest version, one transaction per step.
pub fn migrate(connection: &mut Connection) -> Result<()> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    let found: i64 = connection.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if found > known {
        return Err(ActivityError::NewerSchema { found, known });
    }
    for (version, step) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let tx = connection.transaction()?;
        tx.execute_batch(step)?;
        let next = i64::try_from(version + 1).unwrap_or(i64::MAX);
        tx.pragma_update(None, "user_version", next)?;
        tx.commit()?;
        tracing::info!(version = next, "activity log schema updated");
    }
    Ok(())
}

/// The schema version of an open file.
pub fn schema_version(connection: &Connection) -> Result<i64> {
    Ok(connection.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

#[cfg(test)]
mod tests;
