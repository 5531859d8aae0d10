//! The trainee's pages: the story list and the start form, the scene with its choices
//! as buttons, the debrief, the transcript download and resuming from a link. Each
//! attempt is replayed through the runtime's `Session` from the choices stored for it;
//! a choice is committed before the next page is sent.

use minijinja::context;
use serde::Serialize;
use threshold_runtime::ir::{Rating, Story};
use threshold_runtime::session::{Said, Session};
use threshold_runtime::Stop;

use super::db::{self, Attempt, ChoiceRow, Db, Ending, SessionRow};
use super::http::{self, is_id, random_id, Req};
use super::{render, App, Entry, PageResult};
use crate::play::debrief::{self, Debrief, Doors, End};
use crate::play::transcript;

/// The name of the trainee's session cookie.
pub const COOKIE: &str = "threshold_session";

pub fn route(app: &App, db: &mut Db, req: &Req, parts: &[&str]) -> PageResult {
    match (req.post, parts) {
        (false, [""]) => with_session(app, db, req, |db, s| list(app, db, req, s, None)),
        (true, ["start"]) => post(app, db, req, |db, s| start(app, db, req, s)),
        (false, ["a", id]) => with_session(app, db, req, |db, s| attempt_page(app, db, req, s, id)),
        (true, ["a", id, "choose"]) => post(app, db, req, |db, s| choose(app, db, req, s, id)),
        (false, ["a", id, "transcript.md"]) => {
            with_session(app, db, req, |db, s| transcript_download(app, db, s, id))
        }
        (false, ["resume", id, key]) if is_id(id) && is_id(key) => {
            let html = render(app, "resume.html", context! { id, key })?;
            Ok(http::html(200, html))
        }
        (true, ["resume", id]) => resume(app, db, req, id),
        _ => not_found(app),
    }
}

pub fn not_found(app: &App) -> PageResult {
    message(
        app,
        404,
        "Not found",
        "There is nothing here. Start from the list of stories.",
    )
}

pub fn message(app: &App, status: u16, title: &str, text: &str) -> PageResult {
    let html = render(app, "message.html", context! { title, text })?;
    Ok(http::html(status, html))
}

fn db_err(e: rusqlite::Error) -> String {
    format!("database: {e}")
}

/// Runs `page` with the browser's session, making one (and its cookie) if it has none.
/// A cross-site navigation carries no `SameSite=Strict` cookie: it gets a page that
/// reloads itself from this site, so that an existing session is not replaced.
fn with_session(
    app: &App,
    db: &mut Db,
    req: &Req,
    page: impl FnOnce(&mut Db, &SessionRow) -> PageResult,
) -> PageResult {
    if let Some(s) = session_of(db, req)? {
        return page(db, &s);
    }
    if req.fetch_site.as_deref() == Some("cross-site") {
        let html = render(
            app,
            "message.html",
            context! {
                title => "Opening Threshold",
                text => "Opening the page…",
                refresh => true,
            },
        )?;
        return Ok(http::html(200, html));
    }
    let s = SessionRow {
        id: random_id(),
        trainee: random_id(),
        csrf: random_id(),
    };
    db.new_session(&s).map_err(db_err)?;
    let resp = page(db, &s)?;
    Ok(http::set_cookie(resp, COOKIE, &s.id, 30))
}

fn session_of(db: &Db, req: &Req) -> Result<Option<SessionRow>, String> {
    match req.cookie(COOKIE) {
        Some(id) if is_id(id) => db.session(id).map_err(db_err),
        _ => Ok(None),
    }
}

/// A form sent to this site: it must come with the session's cookie and CSRF token, and
/// not from another origin.
fn post(
    app: &App,
    db: &mut Db,
    req: &Req,
    page: impl FnOnce(&mut Db, &SessionRow) -> PageResult,
) -> PageResult {
    let s = session_of(db, req)?;
    match s {
        Some(s)
            if !req.cross_origin()
                && req
                    .field("csrf")
                    .is_some_and(|t| http::same_secret(t, &s.csrf)) =>
        {
            page(db, &s)
        }
        _ => message(
            app,
            403,
            "This form was refused",
            "It did not come from this site's own page, or your session has ended. Go back \
             to the list of stories and try again.",
        ),
    }
}

#[derive(Debug, Serialize)]
struct StoryCard<'a> {
    slug: &'a str,
    title: &'a str,
    summary: Option<&'a str>,
    content_note: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct AttemptLink {
    id: String,
    title: String,
    status: String,
}

fn list(app: &App, db: &Db, _req: &Req, s: &SessionRow, error: Option<&str>) -> PageResult {
    let stories: Vec<StoryCard<'_>> = app
        .entries
        .iter()
        .map(|e| StoryCard {
            slug: &e.slug,
            title: &e.story.title,
            summary: e.story.summary.as_deref(),
            content_note: e.story.content_note.as_deref(),
        })
        .collect();
    let mine = db.attempts_of(&s.trainee).map_err(db_err)?;
    let (name, cohort) = mine
        .first()
        .map(|a| (a.name.clone(), a.cohort.clone()))
        .unwrap_or_default();
    let attempts: Vec<AttemptLink> = mine
        .iter()
        .map(|a| AttemptLink {
            id: a.id.clone(),
            title: a.story_title.clone(),
            status: status_words(a),
        })
        .collect();
    let html = render(
        app,
        "list.html",
        context! {
            stories, attempts, name, cohort, csrf => &s.csrf, error,
        },
    )?;
    Ok(http::html(if error.is_some() { 400 } else { 200 }, html))
}

/// "Held and heard (good)" or "in progress".
pub fn status_words(a: &Attempt) -> String {
    match (&a.outcome_title, &a.outcome_rating, a.end_kind.as_deref()) {
        (Some(t), Some(r), _) => format!("{t} ({r})"),
        (Some(t), None, Some("stuck")) => format!("stuck at {t}"),
        _ => "in progress".to_string(),
    }
}

const MAX_NAME: usize = 80;

fn start(app: &App, db: &mut Db, req: &Req, s: &SessionRow) -> PageResult {
    let Some(entry) = req.field("story").and_then(|slug| app.entry(slug)) else {
        return list(app, db, req, s, Some("Choose a story from the list."));
    };
    let name = req.field("name").unwrap_or("").trim();
    let cohort = req.field("cohort").unwrap_or("").trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || cohort.chars().count() > MAX_NAME {
        return list(
            app,
            db,
            req,
            s,
            Some("Give your name (up to 80 characters) to start; the cohort code is optional."),
        );
    }
    let mode = match req.field("mode") {
        Some("coach") => "coach",
        Some("assess") => "assess",
        _ => "practice",
    };
    let a = Attempt {
        id: random_id(),
        resume_key: random_id(),
        trainee: s.trainee.clone(),
        name: name.to_string(),
        cohort: cohort.to_string(),
        story: entry.slug.clone(),
        story_title: entry.story.title.clone(),
        fingerprint: entry.fingerprint.clone(),
        mode: mode.to_string(),
        reflect: req.field("reflect") == Some("on"),
        started: db::now_ms(),
        finished: None,
        end_kind: None,
        outcome: None,
        outcome_title: None,
        outcome_rating: None,
        moves: [0; 4],
    };
    db.create_attempt(&a).map_err(db_err)?;
    // A story that stops at once has ended before any choice.
    let session = Session::new(&entry.story);
    if session.stop() != Stop::Choice {
        db.finish_without_choice(&a.id, &ending(&entry.story, &session))
            .map_err(db_err)?;
    }
    Ok(http::redirect(&format!("/a/{}", a.id)))
}

/// An attempt of this browser's trainee, with its story; `None` for any other id, so a
/// guessed id of another trainee's attempt reads exactly as one that does not exist.
fn owned<'a>(
    app: &'a App,
    db: &Db,
    s: &SessionRow,
    id: &str,
) -> Result<Option<(Attempt, &'a Entry)>, String> {
    if !is_id(id) {
        return Ok(None);
    }
    let Some(a) = db.attempt(id).map_err(db_err)? else {
        return Ok(None);
    };
    if !http::same_secret(&a.trainee, &s.trainee) {
        return Ok(None);
    }
    Ok(app.entry(&a.story).map(|e| (a, e)))
}

/// The attempt's session, replayed through the runtime from its stored choices.
pub fn replay<'s>(story: &'s Story, choices: &[ChoiceRow]) -> Option<Session<'s>> {
    let numbers: Vec<usize> = choices.iter().map(|c| c.number as usize).collect();
    let mut session = Session::replay(story, &numbers).ok()?;
    for c in choices {
        if let Some(r) = &c.reflection {
            session.set_reflection(c.step as usize, r.clone());
        }
    }
    Some(session)
}

#[derive(Debug, Serialize)]
pub struct LineView {
    speaker: Option<String>,
    text: String,
    note: bool,
    rating: Option<&'static str>,
}

/// What a step said; notes only when `notes` is on (coach mode, and the supervisor).
pub fn lines(story: &Story, said: &[Said], notes: bool) -> Vec<LineView> {
    said.iter()
        .filter_map(|s| match s {
            Said::Line { speaker, text, .. } => Some(LineView {
                speaker: speaker.map(|w| story.characters[w as usize].name.clone()),
                text: text.clone(),
                note: false,
                rating: None,
            }),
            Said::Note { text, rating, .. } if notes => Some(LineView {
                speaker: None,
                text: text.clone(),
                note: true,
                rating: rating.map(Rating::as_str),
            }),
            Said::Note { .. } => None,
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct StepView {
    chosen: Option<String>,
    rating: Option<&'static str>,
    reflection: Option<String>,
    lines: Vec<LineView>,
}

fn attempt_page(app: &App, db: &Db, req: &Req, s: &SessionRow, id: &str) -> PageResult {
    let Some((a, entry)) = owned(app, db, s, id)? else {
        return not_found(app);
    };
    let choices = db.choices(&a.id).map_err(db_err)?;
    let Some(session) = replay(&entry.story, &choices) else {
        return message(
            app,
            409,
            "This story has changed",
            "The story was changed since this attempt began, so its choices no longer lead \
             where they did. Start the story again from the list.",
        );
    };
    let story = &entry.story;
    let coach = a.mode == "coach";
    let steps: Vec<StepView> = session
        .steps()
        .iter()
        .map(|st| StepView {
            chosen: st.chosen.as_ref().map(|c| c.text.clone()),
            rating: st
                .chosen
                .as_ref()
                .and_then(|c| c.rating)
                .map(Rating::as_str),
            reflection: st.reflection.clone(),
            lines: lines(story, &st.said, coach),
        })
        .collect();
    let host = req.host.as_deref().unwrap_or("127.0.0.1");
    let resume_link = format!("http://{host}/resume/{}/{}", a.id, a.resume_key);
    let shown: Vec<String> = story
        .variables
        .iter()
        .enumerate()
        .filter(|(_, v)| v.shown)
        .map(|(i, v)| {
            let value = session.state().vars[i];
            match v.ty {
                threshold_runtime::ir::VarType::Int { hi, .. } => {
                    format!("{}: {value}/{hi}", v.display_name())
                }
                threshold_runtime::ir::VarType::Bool => {
                    format!("{}: {}", v.display_name(), v.format(value))
                }
            }
        })
        .collect();
    let ctx = context! {
        title => &story.title,
        summary => &story.summary,
        content_note => &story.content_note,
        id => &a.id,
        mode => &a.mode,
        reflect => a.reflect,
        csrf => &s.csrf,
        step => session.choice_count() + 1,
        steps,
        offers => session.offers().iter().map(|o| (o.number, o.text.clone())).collect::<Vec<_>>(),
        shown,
        resume_link,
    };
    if session.stop() == Stop::Choice {
        return Ok(http::html(200, render(app, "scene.html", ctx)?));
    }
    let d = debrief::build_with(&session, entry.explored.as_ref());
    let ctx = context! { ..ctx, ..debrief_context(&d) };
    Ok(http::html(200, render(app, "debrief.html", ctx)?))
}

#[derive(Debug, Serialize)]
struct DoorView {
    number: usize,
    tag: String,
    text: String,
    notes: Vec<String>,
    ahead: String,
}

#[derive(Debug, Serialize)]
struct PointView {
    step: usize,
    scene: String,
    taken: DoorView,
    others: Vec<DoorView>,
}

/// The debrief's sections, from the player's own debrief data.
pub fn debrief_context(d: &Debrief) -> minijinja::Value {
    let (end_title, end_rating, stuck) = match &d.end {
        End::Outcome { title, rating } => (title.clone(), Some(rating.as_str()), None),
        End::Stuck { node, reason } => (node.clone(), None, Some(*reason)),
    };
    let door = |dr: &threshold_compiler::doors::Door| DoorView {
        number: dr.number,
        tag: debrief::tag(d.rated, dr.rating),
        text: dr.text.clone(),
        notes: dr
            .notes
            .iter()
            .map(|n| debrief::note_text(&(n.rating, n.text.clone())))
            .collect(),
        ahead: debrief::ahead_words(d, dr),
    };
    let (points, recommended, followed, too_many) = match &d.doors {
        Doors::Known {
            points,
            recommended,
            followed,
        } => (
            points
                .iter()
                .map(|p| PointView {
                    step: p.step,
                    scene: d.title(p.node).to_string(),
                    taken: door(&p.taken),
                    others: p.others.iter().map(door).collect(),
                })
                .collect::<Vec<_>>(),
            recommended.as_ref().map(|r| {
                context! {
                    words => debrief::recommended_words(d, r),
                    numbers => debrief::replay_numbers(r),
                    steps => r.steps.iter().map(|s| (debrief::tag(d.rated, s.rating), s.text.clone())).collect::<Vec<_>>(),
                }
            }),
            *followed,
            false,
        ),
        Doors::TooMany => (Vec::new(), None, false, true),
    };
    let path: Vec<_> = d
        .path
        .iter()
        .map(|p| {
            context! {
                number => p.number,
                tag => debrief::tag(d.rated, p.rating),
                text => &p.text,
                notes => p.notes.iter().map(debrief::note_text).collect::<Vec<_>>(),
                reflection => &p.reflection,
            }
        })
        .collect();
    let tracks: Vec<_> = d
        .tracks
        .iter()
        .map(|t| {
            context! {
                label => &t.label,
                shown => t.shown,
                bars => debrief::sparkline(t.ty, &t.values),
                values => t.values.iter().map(|v| threshold_runtime::ir::format_value(*v, matches!(t.ty, threshold_runtime::ir::VarType::Bool))).collect::<Vec<_>>().join(" "),
            }
        })
        .collect();
    context! {
        end_title, end_rating, stuck,
        end_notes => d.end_notes.iter().map(debrief::note_text).collect::<Vec<_>>(),
        moves => debrief::moves_words(&d.moves),
        rated => d.rated,
        path, tracks, points, recommended, followed, too_many,
    }
}

/// How the session ended, for the attempt's row.
fn ending(story: &Story, session: &Session<'_>) -> Ending {
    let node = &story.nodes[session.state().node as usize];
    let m = session.moves();
    Ending {
        kind: if session.stop() == Stop::Outcome {
            "outcome"
        } else {
            "stuck"
        },
        node: node.id.clone(),
        title: node.title.clone().unwrap_or_else(|| node.id.clone()),
        rating: if session.stop() == Stop::Outcome {
            node.rating().map(Rating::as_str)
        } else {
            None
        },
        moves: [m.good, m.mixed, m.bad, m.unrated].map(|n| n as i64),
    }
}

/// Takes the choice sent for step `step`. A step already answered (a reload, the back
/// button, a second tab) changes nothing and shows where the attempt stands.
fn choose(app: &App, db: &mut Db, req: &Req, s: &SessionRow, id: &str) -> PageResult {
    let Some((a, entry)) = owned(app, db, s, id)? else {
        return not_found(app);
    };
    let here = format!("/a/{}", a.id);
    let (Some(step), Some(number)) = (
        req.field("step").and_then(|v| v.parse::<usize>().ok()),
        req.field("choice").and_then(|v| v.parse::<usize>().ok()),
    ) else {
        return Ok(http::redirect(&here));
    };
    let choices = db.choices(&a.id).map_err(db_err)?;
    if step != choices.len() + 1 {
        return Ok(http::redirect(&here));
    }
    let Some(mut session) = replay(&entry.story, &choices) else {
        return Ok(http::redirect(&here));
    };
    let node = session.state().node;
    let Ok(taken) = session.choose(number) else {
        return Ok(http::redirect(&here));
    };
    let chosen = taken
        .chosen
        .clone()
        .expect("a step after a choice has its choice");
    let reflection = req
        .field("reflection")
        .map(str::trim)
        .filter(|r| a.reflect && !r.is_empty())
        .map(|r| r.chars().take(2000).collect::<String>());
    let row = ChoiceRow {
        step: step as i64,
        number: number as i64,
        scene: entry.story.nodes[node as usize].id.clone(),
        text: chosen.text,
        rating: chosen.rating.map(|r| r.as_str().to_string()),
        reflection,
        at: db::now_ms(),
    };
    let end = (session.stop() != Stop::Choice).then(|| ending(&entry.story, &session));
    // Committed (and on disk) before the next page is sent.
    db.record_choice(&a.id, &row, end.as_ref())
        .map_err(db_err)?;
    Ok(http::redirect(&format!("{here}#now")))
}

/// The attempt's Markdown transcript, as `threshold play --transcript` writes it.
pub fn transcript_of(a: &Attempt, entry: &Entry, choices: &[ChoiceRow]) -> Option<String> {
    let session = replay(&entry.story, choices)?;
    let mode = match a.mode.as_str() {
        "coach" => "coach",
        "assess" => "assess",
        _ => "practice",
    };
    let mut options = Vec::new();
    if mode != "practice" {
        options.push(mode);
    }
    if a.reflect {
        options.push("reflect");
    }
    let meta = transcript::Meta {
        story_path: &entry.path,
        mode,
        options,
    };
    let d = (session.stop() != Stop::Choice)
        .then(|| debrief::build_with(&session, entry.explored.as_ref()));
    Some(transcript::render(&session, &meta, d.as_ref()))
}

fn transcript_download(app: &App, db: &Db, s: &SessionRow, id: &str) -> PageResult {
    let Some((a, entry)) = owned(app, db, s, id)? else {
        return not_found(app);
    };
    let choices = db.choices(&a.id).map_err(db_err)?;
    let Some(md) = transcript_of(&a, entry, &choices) else {
        return not_found(app);
    };
    Ok(http::download(
        "text/markdown; charset=utf-8",
        &format!("{}-{}.md", a.story, &a.id[..8]),
        md.into_bytes(),
    ))
}

/// Continues an attempt from its link: the key in the form proves the link was given.
fn resume(app: &App, db: &mut Db, req: &Req, id: &str) -> PageResult {
    let key = req.field("key").unwrap_or("");
    if !is_id(id) || !is_id(key) || req.cross_origin() {
        return not_found(app);
    }
    let (s, new) = match session_of(db, req)? {
        Some(s) => (s, false),
        None => {
            let s = SessionRow {
                id: random_id(),
                trainee: random_id(),
                csrf: random_id(),
            };
            db.new_session(&s).map_err(db_err)?;
            (s, true)
        }
    };
    if !db.claim(id, key, &s.id).map_err(db_err)? {
        return not_found(app);
    }
    let resp = http::redirect(&format!("/a/{id}"));
    Ok(if new {
        http::set_cookie(resp, COOKIE, &s.id, 30)
    } else {
        resp
    })
}
