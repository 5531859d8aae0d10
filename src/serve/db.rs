//! The attempts database: SQLite in WAL mode with `synchronous=FULL`, schema migrations
//! versioned in the code, and every query with bound parameters. A choice is written
//! in one transaction that also checks it answers the step the attempt is at, so a
//! repeated or raced POST never adds a second one.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

/// The schema, one migration per version; version `k + 1` is `MIGRATIONS[k]`. Only ever
/// append: a database records the version it has reached in `schema_version`.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE sessions (
        id       TEXT PRIMARY KEY,   -- the cookie's secret
        trainee  TEXT NOT NULL,      -- the public id of the trainee this browser plays as
        csrf     TEXT NOT NULL,
        created  INTEGER NOT NULL
    );
    CREATE TABLE attempts (
        id             TEXT PRIMARY KEY,
        resume_key     TEXT NOT NULL,
        trainee        TEXT NOT NULL,
        name           TEXT NOT NULL,
        cohort         TEXT NOT NULL,
        story          TEXT NOT NULL,
        story_title    TEXT NOT NULL,
        fingerprint    TEXT NOT NULL,
        mode           TEXT NOT NULL,
        reflect        INTEGER NOT NULL,
        started        INTEGER NOT NULL,
        finished       INTEGER,
        end_kind       TEXT,
        outcome        TEXT,
        outcome_title  TEXT,
        outcome_rating TEXT,
        good     INTEGER NOT NULL DEFAULT 0,
        mixed    INTEGER NOT NULL DEFAULT 0,
        bad      INTEGER NOT NULL DEFAULT 0,
        unrated  INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX attempts_by_trainee ON attempts (trainee);
    CREATE INDEX attempts_by_story ON attempts (story, cohort);
    CREATE TABLE choices (
        attempt    TEXT NOT NULL REFERENCES attempts (id),
        step       INTEGER NOT NULL,
        number     INTEGER NOT NULL,
        scene      TEXT NOT NULL,
        text       TEXT NOT NULL,
        rating     TEXT,
        reflection TEXT,
        at         INTEGER NOT NULL,
        PRIMARY KEY (attempt, step)
    );
    CREATE TABLE supervisor_sessions (
        id       TEXT PRIMARY KEY,
        csrf     TEXT NOT NULL,
        created  INTEGER NOT NULL
    );
"];

pub type Result<T> = rusqlite::Result<T>;

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A browser's session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub trainee: String,
    pub csrf: String,
}

/// An attempt as stored.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub id: String,
    pub resume_key: String,
    pub trainee: String,
    pub name: String,
    pub cohort: String,
    pub story: String,
    pub story_title: String,
    pub fingerprint: String,
    pub mode: String,
    pub reflect: bool,
    pub started: i64,
    pub finished: Option<i64>,
    pub end_kind: Option<String>,
    pub outcome: Option<String>,
    pub outcome_title: Option<String>,
    pub outcome_rating: Option<String>,
    /// Moves by rating: good, mixed, bad, unrated.
    pub moves: [i64; 4],
}

/// One choice of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceRow {
    /// 1-based position on the path.
    pub step: i64,
    pub number: i64,
    /// The id of the scene where it was made.
    pub scene: String,
    pub text: String,
    pub rating: Option<String>,
    pub reflection: Option<String>,
    pub at: i64,
}

/// How an attempt ended, written with its last choice.
#[derive(Debug, Clone)]
pub struct Ending {
    /// `outcome` or `stuck`.
    pub kind: &'static str,
    pub node: String,
    pub title: String,
    pub rating: Option<&'static str>,
    pub moves: [i64; 4],
}

/// What became of a choice sent for a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written and committed.
    Added,
    /// The step was already answered (a reload, the back button, a second tab) or is
    /// not yet due: nothing was written.
    Stale,
}

const ATTEMPT_COLUMNS: &str = "id, resume_key, trainee, name, cohort, story, story_title, \
    fingerprint, mode, reflect, started, finished, end_kind, outcome, outcome_title, \
    outcome_rating, good, mixed, bad, unrated";

fn attempt_of(r: &rusqlite::Row<'_>) -> Result<Attempt> {
    Ok(Attempt {
        id: r.get(0)?,
        resume_key: r.get(1)?,
        trainee: r.get(2)?,
        name: r.get(3)?,
        cohort: r.get(4)?,
        story: r.get(5)?,
        story_title: r.get(6)?,
        fingerprint: r.get(7)?,
        mode: r.get(8)?,
        reflect: r.get::<_, i64>(9)? != 0,
        started: r.get(10)?,
        finished: r.get(11)?,
        end_kind: r.get(12)?,
        outcome: r.get(13)?,
        outcome_title: r.get(14)?,
        outcome_rating: r.get(15)?,
        moves: [r.get(16)?, r.get(17)?, r.get(18)?, r.get(19)?],
    })
}

fn choice_of(r: &rusqlite::Row<'_>) -> Result<ChoiceRow> {
    Ok(ChoiceRow {
        step: r.get(0)?,
        number: r.get(1)?,
        scene: r.get(2)?,
        text: r.get(3)?,
        rating: r.get(4)?,
        reflection: r.get(5)?,
        at: r.get(6)?,
    })
}

/// One connection to the attempts database (one per worker thread).
#[derive(Debug)]
pub struct Db {
    conn: Connection,
}

impl Db {
    /// Opens (creating if need be) the database and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Db> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // WAL: readers never wait for the writer. FULL: a commit is on disk (fsync of
        // the log) before it returns, so an acknowledged choice survives a power cut as
        // well as a kill -9 (NORMAL would survive only the latter).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut db = Db { conn };
        db.migrate()?;
        Ok(db)
    }

    /// The schema version this database is at.
    #[cfg(test)]
    pub fn version(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| {
                r.get::<_, Option<i64>>(0)
            })
            .map(|v| v.unwrap_or(0))
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied INTEGER NOT NULL)",
        )?;
        let at: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )?;
        for (k, sql) in MIGRATIONS.iter().enumerate() {
            let version = k as i64 + 1;
            if version > at {
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO schema_version (version, applied) VALUES (?1, ?2)",
                    params![version, now_ms()],
                )?;
            }
        }
        tx.commit()
    }

    // ── sessions ────────────────────────────────────────────────────────────────

    pub fn session(&self, id: &str) -> Result<Option<SessionRow>> {
        self.conn
            .query_row(
                "SELECT id, trainee, csrf FROM sessions WHERE id = ?1",
                params![id],
                |r| {
                    Ok(SessionRow {
                        id: r.get(0)?,
                        trainee: r.get(1)?,
                        csrf: r.get(2)?,
                    })
                },
            )
            .optional()
    }

    pub fn new_session(&self, s: &SessionRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sessions (id, trainee, csrf, created) VALUES (?1, ?2, ?3, ?4)",
            params![s.id, s.trainee, s.csrf, now_ms()],
        )?;
        Ok(())
    }

    pub fn new_supervisor_session(&self, id: &str, csrf: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO supervisor_sessions (id, csrf, created) VALUES (?1, ?2, ?3)",
            params![id, csrf, now_ms()],
        )?;
        Ok(())
    }

    /// The CSRF token of a supervisor's session.
    pub fn supervisor_session(&self, id: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT csrf FROM supervisor_sessions WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
    }

    // ── attempts ────────────────────────────────────────────────────────────────

    pub fn create_attempt(&self, a: &Attempt) -> Result<()> {
        self.conn.execute(
            "INSERT INTO attempts (id, resume_key, trainee, name, cohort, story, story_title, \
             fingerprint, mode, reflect, started) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                a.id,
                a.resume_key,
                a.trainee,
                a.name,
                a.cohort,
                a.story,
                a.story_title,
                a.fingerprint,
                a.mode,
                a.reflect as i64,
                a.started
            ],
        )?;
        Ok(())
    }

    pub fn attempt(&self, id: &str) -> Result<Option<Attempt>> {
        self.conn
            .query_row(
                &format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = ?1"),
                params![id],
                attempt_of,
            )
            .optional()
    }

    /// A trainee's attempts, newest first.
    pub fn attempts_of(&self, trainee: &str) -> Result<Vec<Attempt>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE trainee = ?1 ORDER BY started DESC, id"
        ))?;
        let rows = st.query_map(params![trainee], attempt_of)?;
        rows.collect()
    }

    /// Every attempt (of one story, when given), oldest first.
    pub fn attempts(&self, story: Option<&str>) -> Result<Vec<Attempt>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE ?1 IS NULL OR story = ?1 \
             ORDER BY started, id"
        ))?;
        let rows = st.query_map(params![story], attempt_of)?;
        rows.collect()
    }

    /// The choices of an attempt, in order.
    pub fn choices(&self, attempt: &str) -> Result<Vec<ChoiceRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT step, number, scene, text, rating, reflection, at FROM choices \
             WHERE attempt = ?1 ORDER BY step",
        )?;
        let rows = st.query_map(params![attempt], choice_of)?;
        rows.collect()
    }

    /// Every choice of every attempt (of one story, when given), with its attempt's id,
    /// in the order the attempts began.
    pub fn all_choices(&self, story: Option<&str>) -> Result<Vec<(String, ChoiceRow)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT c.attempt, c.step, c.number, c.scene, c.text, c.rating, c.reflection, c.at \
             FROM choices c JOIN attempts a ON a.id = c.attempt \
             WHERE ?1 IS NULL OR a.story = ?1 ORDER BY a.started, a.id, c.step",
        )?;
        let rows = st.query_map(params![story], |r| {
            Ok((
                r.get(0)?,
                ChoiceRow {
                    step: r.get(1)?,
                    number: r.get(2)?,
                    scene: r.get(3)?,
                    text: r.get(4)?,
                    rating: r.get(5)?,
                    reflection: r.get(6)?,
                    at: r.get(7)?,
                },
            ))
        })?;
        rows.collect()
    }

    /// Writes the choice for step `choice.step` of an attempt, in one transaction that
    /// first checks the attempt has exactly `choice.step - 1` choices; with `ending`,
    /// the attempt is marked finished in the same transaction. Returns once committed.
    pub fn record_choice(
        &mut self,
        attempt: &str,
        choice: &ChoiceRow,
        ending: Option<&Ending>,
    ) -> Result<Recorded> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let have: i64 = tx.query_row(
            "SELECT COUNT(*) FROM choices WHERE attempt = ?1",
            params![attempt],
            |r| r.get(0),
        )?;
        if have != choice.step - 1 {
            return Ok(Recorded::Stale);
        }
        tx.execute(
            "INSERT INTO choices (attempt, step, number, scene, text, rating, reflection, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                attempt,
                choice.step,
                choice.number,
                choice.scene,
                choice.text,
                choice.rating,
                choice.reflection,
                choice.at
            ],
        )?;
        if let Some(e) = ending {
            tx.execute(
                "UPDATE attempts SET finished = ?2, end_kind = ?3, outcome = ?4, \
                 outcome_title = ?5, outcome_rating = ?6, good = ?7, mixed = ?8, bad = ?9, \
                 unrated = ?10 WHERE id = ?1",
                params![
                    attempt, choice.at, e.kind, e.node, e.title, e.rating, e.moves[0], e.moves[1],
                    e.moves[2], e.moves[3]
                ],
            )?;
        }
        tx.commit()?;
        Ok(Recorded::Added)
    }

    /// Marks an attempt that ended before any choice (a story that stops at once).
    pub fn finish_without_choice(&self, attempt: &str, e: &Ending) -> Result<()> {
        self.conn.execute(
            "UPDATE attempts SET finished = ?2, end_kind = ?3, outcome = ?4, outcome_title = ?5, \
             outcome_rating = ?6 WHERE id = ?1 AND finished IS NULL",
            params![attempt, now_ms(), e.kind, e.node, e.title, e.rating],
        )?;
        Ok(())
    }

    /// Gives the attempt's trainee to the session, when `key` is the attempt's resume
    /// key: the browser holding the link plays on as that trainee.
    pub fn claim(&self, attempt: &str, key: &str, session: &str) -> Result<bool> {
        let Some(a) = self.attempt(attempt)? else {
            return Ok(false);
        };
        if !super::http::same_secret(&a.resume_key, key) {
            return Ok(false);
        }
        self.conn.execute(
            "UPDATE sessions SET trainee = ?2 WHERE id = ?1",
            params![session, a.trainee],
        )?;
        Ok(true)
    }

    /// Copies the database, consistent as of one moment, to `to` (`VACUUM INTO`).
    pub fn backup_to(&self, to: &Path) -> Result<()> {
        self.conn
            .execute("VACUUM INTO ?1", params![to.to_string_lossy().into_owned()])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(id: &str) -> Attempt {
        Attempt {
            id: id.into(),
            resume_key: "k".repeat(32),
            trainee: "t".into(),
            name: "Rowan".into(),
            cohort: "A".into(),
            story: "s".into(),
            story_title: "S".into(),
            fingerprint: "f".into(),
            mode: "practice".into(),
            reflect: false,
            started: 1,
            finished: None,
            end_kind: None,
            outcome: None,
            outcome_title: None,
            outcome_rating: None,
            moves: [0; 4],
        }
    }

    fn choice(step: i64) -> ChoiceRow {
        ChoiceRow {
            step,
            number: 1,
            scene: "door".into(),
            text: "Hello".into(),
            rating: Some("good".into()),
            reflection: None,
            at: 5,
        }
    }

    #[test]
    fn migrations_run_once_and_a_step_is_answered_once() {
        let dir =
            std::env::temp_dir().join(format!("threshold-db-{}", super::super::http::random_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.db");
        let mut db = Db::open(&path).unwrap();
        assert_eq!(db.version().unwrap(), MIGRATIONS.len() as i64);
        drop(db);
        db = Db::open(&path).unwrap();
        assert_eq!(db.version().unwrap(), MIGRATIONS.len() as i64);
        db.create_attempt(&attempt("a1")).unwrap();
        assert_eq!(
            db.record_choice("a1", &choice(1), None).unwrap(),
            Recorded::Added
        );
        assert_eq!(
            db.record_choice("a1", &choice(1), None).unwrap(),
            Recorded::Stale
        );
        assert_eq!(
            db.record_choice("a1", &choice(3), None).unwrap(),
            Recorded::Stale
        );
        assert_eq!(db.choices("a1").unwrap(), vec![choice(1)]);
        let copy = dir.join("copy.db");
        db.backup_to(&copy).unwrap();
        assert_eq!(Db::open(&copy).unwrap().choices("a1").unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
