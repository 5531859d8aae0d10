//! The supervisor's pages, behind the token: attempts by story and cohort; for each
//! story the outcomes, how often each choice was taken and its rating, moves by rating
//! per trainee and the reflections; one attempt's full transcript; CSV and xAPI
//! downloads.

use std::collections::BTreeMap;

use minijinja::context;
use serde::Serialize;

use super::db::{Attempt, Db};
use super::http::{self, is_id, random_id, Req};
use super::pages::{
    debrief_context, lines, message, not_found, replay, status_words, transcript_of,
};
use super::{export, render, App, PageResult};
use crate::play::debrief;

/// The supervisor's session cookie.
const COOKIE: &str = "threshold_supervisor";

pub fn route(app: &App, db: &mut Db, req: &Req, parts: &[&str]) -> PageResult {
    let Some(token) = &app.token else {
        return message(
            app,
            404,
            "The supervisor's pages are off",
            "Start the server with --supervisor-token (or THRESHOLD_SUPERVISOR_TOKEN) to use them.",
        );
    };
    if req.post && parts == ["login"] {
        return login(app, db, req, token);
    }
    if !signed_in(db, req, token)? {
        let html = render(app, "sup_login.html", context! { error => false })?;
        return Ok(http::html(401, html));
    }
    match (req.post, parts) {
        (false, [] | [""]) => index(app, db),
        (false, ["story", slug]) => story(app, db, req, slug),
        (false, ["attempt", id]) => attempt(app, db, id),
        (false, ["export.csv"]) => {
            let csv = export::csv(db).map_err(|e| e.to_string())?;
            Ok(http::download(
                "text/csv; charset=utf-8",
                "threshold-attempts.csv",
                csv.into_bytes(),
            ))
        }
        (false, ["export.xapi.json"]) => {
            let base = format!("http://{}/", req.host.as_deref().unwrap_or("127.0.0.1"));
            let doc = export::xapi(db, &base).map_err(|e| e.to_string())?;
            Ok(http::download(
                "application/json",
                "threshold-xapi.json",
                crate::text::json_pretty(&doc).into_bytes(),
            ))
        }
        _ => not_found(app),
    }
}

/// A bearer token (for tools) or the cookie of a supervisor's session.
fn signed_in(db: &Db, req: &Req, token: &str) -> Result<bool, String> {
    if let Some(bearer) = req
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
    {
        return Ok(http::same_secret(bearer.trim(), token));
    }
    match req.cookie(COOKIE) {
        Some(id) if is_id(id) => Ok(db
            .supervisor_session(id)
            .map_err(|e| e.to_string())?
            .is_some()),
        _ => Ok(false),
    }
}

fn login(app: &App, db: &Db, req: &Req, token: &str) -> PageResult {
    let given = req.field("token").unwrap_or("");
    if req.cross_origin() || !http::same_secret(given, token) {
        let html = render(app, "sup_login.html", context! { error => true })?;
        return Ok(http::html(403, html));
    }
    let id = random_id();
    db.new_supervisor_session(&id, &random_id())
        .map_err(|e| e.to_string())?;
    Ok(http::set_cookie(
        http::redirect("/supervisor"),
        COOKIE,
        &id,
        1,
    ))
}

#[derive(Debug, Default, Serialize)]
struct Tally {
    attempts: usize,
    finished: usize,
    good: usize,
    mixed: usize,
    bad: usize,
    stuck: usize,
}

impl Tally {
    fn add(&mut self, a: &Attempt) {
        self.attempts += 1;
        if a.finished.is_some() {
            self.finished += 1;
        }
        match (a.end_kind.as_deref(), a.outcome_rating.as_deref()) {
            (Some("outcome"), Some("good")) => self.good += 1,
            (Some("outcome"), Some("mixed")) => self.mixed += 1,
            (Some("outcome"), Some("bad")) => self.bad += 1,
            (Some("stuck"), _) => self.stuck += 1,
            _ => {}
        }
    }
}

fn index(app: &App, db: &Db) -> PageResult {
    let all = db.attempts(None).map_err(|e| e.to_string())?;
    let stories: Vec<_> = app
        .entries
        .iter()
        .map(|e| {
            let mut cohorts: BTreeMap<&str, Tally> = BTreeMap::new();
            let mut total = Tally::default();
            for a in all.iter().filter(|a| a.story == e.slug) {
                cohorts.entry(a.cohort.as_str()).or_default().add(a);
                total.add(a);
            }
            let cohorts: Vec<_> = cohorts
                .into_iter()
                .map(|(name, t)| context! { name, q => http::url_component(name), t })
                .collect();
            context! { slug => &e.slug, title => &e.story.title, total, cohorts }
        })
        .collect();
    Ok(http::html(
        200,
        render(app, "sup_index.html", context! { stories })?,
    ))
}

fn story(app: &App, db: &Db, req: &Req, slug: &str) -> PageResult {
    let Some(entry) = app.entry(slug) else {
        return not_found(app);
    };
    let cohort = req.param("cohort").filter(|c| !c.is_empty());
    let attempts: Vec<Attempt> = db
        .attempts(Some(slug))
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|a| cohort.is_none_or(|c| a.cohort == c))
        .collect();
    let cohorts: Vec<String> = {
        let mut v: Vec<String> = db
            .attempts(Some(slug))
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|a| a.cohort)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let choices = db.all_choices(Some(slug)).map_err(|e| e.to_string())?;
    let keep: std::collections::HashSet<&str> = attempts.iter().map(|a| a.id.as_str()).collect();
    let choices: Vec<_> = choices
        .into_iter()
        .filter(|(a, _)| keep.contains(a.as_str()))
        .collect();

    // Outcomes: how many attempts ended where.
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for a in &attempts {
        *outcomes.entry(status_words(a)).or_default() += 1;
    }
    // Each choice: how often it was taken, with its rating, by scene.
    let title_of = |scene: &str| {
        entry
            .story
            .nodes
            .iter()
            .find(|n| n.id == scene)
            .map_or(scene.to_string(), |n| {
                n.title.clone().unwrap_or_else(|| n.id.clone())
            })
    };
    let mut taken: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (_, c) in &choices {
        let key = (
            c.scene.clone(),
            c.text.clone(),
            c.rating.clone().unwrap_or_default(),
        );
        *taken.entry(key).or_default() += 1;
    }
    let mut taken: Vec<_> = taken
        .into_iter()
        .map(|((scene, text, rating), n)| (title_of(&scene), text, rating, n))
        .collect();
    taken.sort_by(|a, b| a.0.cmp(&b.0).then(b.3.cmp(&a.3)));
    let taken: Vec<_> = taken
        .into_iter()
        .map(|(scene, text, rating, n)| context! { scene, text, rating, n })
        .collect();
    let by_id: BTreeMap<&str, &Attempt> = attempts.iter().map(|a| (a.id.as_str(), a)).collect();
    let reflections: Vec<_> = choices
        .iter()
        .filter_map(|(id, c)| {
            let a = by_id.get(id.as_str())?;
            Some(context! {
                name => &a.name, cohort => &a.cohort, step => c.step, text => &c.text,
                rating => &c.rating, reflection => c.reflection.as_ref()?,
            })
        })
        .collect();
    let rows: Vec<_> = attempts
        .iter()
        .map(|a| {
            let n = choices.iter().filter(|(id, _)| *id == a.id).count();
            context! {
                id => &a.id, name => &a.name, cohort => &a.cohort, mode => &a.mode,
                started => export::iso8601(a.started), status => status_words(a),
                choices => n, moves => a.moves,
            }
        })
        .collect();
    let ctx = context! {
        slug, title => &entry.story.title, cohort, cohorts,
        outcomes => outcomes.into_iter().collect::<Vec<_>>(),
        taken, reflections, rows,
    };
    Ok(http::html(200, render(app, "sup_story.html", ctx)?))
}

fn attempt(app: &App, db: &Db, id: &str) -> PageResult {
    if !is_id(id) {
        return not_found(app);
    }
    let Some(a) = db.attempt(id).map_err(|e| e.to_string())? else {
        return not_found(app);
    };
    let Some(entry) = app.entry(&a.story) else {
        return not_found(app);
    };
    let choices = db.choices(&a.id).map_err(|e| e.to_string())?;
    let Some(session) = replay(&entry.story, &choices) else {
        return message(
            app,
            409,
            "The story has changed",
            "This attempt no longer replays.",
        );
    };
    let steps: Vec<_> = session
        .steps()
        .iter()
        .map(|st| {
            context! {
                chosen => st.chosen.as_ref().map(|c| (c.number, c.text.clone())),
                rating => st.chosen.as_ref().and_then(|c| c.rating).map(|r| r.as_str()),
                reflection => &st.reflection,
                lines => lines(&entry.story, &st.said, true),
                offers => st.offers.iter().map(|o| (o.number, o.text.clone())).collect::<Vec<_>>(),
            }
        })
        .collect();
    let d = (session.stop() != threshold_runtime::Stop::Choice)
        .then(|| debrief::build_with(&session, entry.explored.as_ref()));
    let markdown = transcript_of(&a, entry, &choices).unwrap_or_default();
    let ctx = context! {
        id => &a.id, slug => &a.story, title => &entry.story.title, name => &a.name,
        cohort => &a.cohort, mode => &a.mode, started => export::iso8601(a.started),
        status => status_words(&a), steps, markdown, finished => d.is_some(),
    };
    let ctx = match &d {
        Some(d) => context! { ..ctx, ..debrief_context(d) },
        None => ctx,
    };
    Ok(http::html(200, render(app, "sup_attempt.html", ctx)?))
}
