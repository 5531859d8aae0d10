//! The attempts as CSV (one row per choice) and as xAPI 1.0.3 statements (one
//! `answered` per choice, one `completed` per outcome with its rating and a score),
//! read from the database alone, so `threshold export` needs no story.

use serde_json::{json, Map, Value};

use super::db::{Attempt, ChoiceRow, Db, Result};

/// The columns of the CSV export, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "attempt",
    "story",
    "story_title",
    "trainee",
    "name",
    "cohort",
    "mode",
    "started",
    "finished",
    "outcome",
    "outcome_title",
    "outcome_rating",
    "step",
    "choice_number",
    "scene",
    "choice_text",
    "move_rating",
    "reflection",
    "chosen_at",
];

/// One CSV field: quoted when it holds a comma, a quote or a line break; a field that a
/// spreadsheet would read as a formula starts with `'`.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Every attempt, one row per choice (an attempt with no choice yet has one row).
pub fn csv(db: &Db) -> Result<String> {
    let attempts = db.attempts(None)?;
    let choices = db.all_choices(None)?;
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for a in &attempts {
        let mine: Vec<&ChoiceRow> = choices
            .iter()
            .filter(|(id, _)| *id == a.id)
            .map(|(_, c)| c)
            .collect();
        let head = [
            a.id.clone(),
            a.story.clone(),
            a.story_title.clone(),
            a.trainee.clone(),
            a.name.clone(),
            a.cohort.clone(),
            a.mode.clone(),
            iso8601(a.started),
            a.finished.map(iso8601).unwrap_or_default(),
            a.outcome.clone().unwrap_or_default(),
            a.outcome_title.clone().unwrap_or_default(),
            a.outcome_rating.clone().unwrap_or_default(),
        ];
        let rows: Vec<[String; 7]> = if mine.is_empty() {
            vec![Default::default()]
        } else {
            mine.iter()
                .map(|c| {
                    [
                        c.step.to_string(),
                        c.number.to_string(),
                        c.scene.clone(),
                        c.text.clone(),
                        c.rating.clone().unwrap_or_default(),
                        c.reflection.clone().unwrap_or_default(),
                        iso8601(c.at),
                    ]
                })
                .collect()
        };
        for row in rows {
            let cells: Vec<String> = head.iter().chain(row.iter()).map(|s| field(s)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
    }
    Ok(out)
}

/// A UUID (version 4 form) derived from a 128-bit hex id and a salt, so that the same
/// attempt always exports the same statement ids.
pub fn uuid(hex: &str, salt: u16) -> String {
    let mut b = [0u8; 16];
    for (k, byte) in b.iter_mut().enumerate() {
        *byte = hex
            .get(2 * k..2 * k + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .unwrap_or(0);
    }
    b[14] ^= (salt >> 8) as u8;
    b[15] ^= salt as u8;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// Milliseconds since the epoch as an ISO 8601 UTC timestamp.
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

fn en(s: &str) -> Value {
    json!({ "en-US": s })
}

/// The score of an outcome's rating: good 2, mixed 1, bad 0, out of 2.
fn score(rating: &str) -> Option<i64> {
    match rating {
        "good" => Some(2),
        "mixed" => Some(1),
        "bad" => Some(0),
        _ => None,
    }
}

/// Every attempt as xAPI 1.0.3 statements; activity and extension ids begin with `base`
/// (e.g. `http://127.0.0.1:8080/`).
pub fn xapi(db: &Db, base: &str) -> Result<Value> {
    let attempts = db.attempts(None)?;
    let choices = db.all_choices(None)?;
    let mut statements = Vec::new();
    for a in &attempts {
        let mine = choices.iter().filter(|(id, _)| *id == a.id).map(|(_, c)| c);
        for c in mine {
            statements.push(answered(a, c, base));
        }
        if let Some(s) = completed(a, base) {
            statements.push(s);
        }
    }
    Ok(Value::Array(statements))
}

fn actor(a: &Attempt, base: &str) -> Value {
    json!({
        "objectType": "Agent",
        "name": a.name,
        "account": { "homePage": base, "name": a.trainee },
    })
}

fn story_activity(a: &Attempt, base: &str) -> Value {
    json!({
        "objectType": "Activity",
        "id": format!("{base}stories/{}", a.story),
        "definition": {
            "name": en(&a.story_title),
            "type": "http://adlnet.gov/expapi/activities/simulation",
        },
    })
}

fn context(a: &Attempt, base: &str) -> Value {
    let mut ext = Map::new();
    ext.insert(format!("{base}xapi/cohort"), json!(a.cohort));
    ext.insert(format!("{base}xapi/mode"), json!(a.mode));
    json!({
        "registration": uuid(&a.id, 0),
        "contextActivities": { "parent": [story_activity(a, base)] },
        "extensions": ext,
    })
}

fn answered(a: &Attempt, c: &ChoiceRow, base: &str) -> Value {
    let mut ext = Map::new();
    ext.insert(format!("{base}xapi/choice-number"), json!(c.number));
    ext.insert(format!("{base}xapi/move-rating"), json!(c.rating));
    if let Some(r) = &c.reflection {
        ext.insert(format!("{base}xapi/reflection"), json!(r));
    }
    json!({
        "id": uuid(&a.id, c.step as u16),
        "version": "1.0.3",
        "actor": actor(a, base),
        "verb": { "id": "http://adlnet.gov/expapi/verbs/answered", "display": en("answered") },
        "object": {
            "objectType": "Activity",
            "id": format!("{base}stories/{}/scenes/{}/choice-{}", a.story, c.scene, c.step),
            "definition": {
                "name": en(&format!("Choice {} in {}", c.step, a.story_title)),
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "interactionType": "choice",
            },
        },
        "result": { "response": c.text, "extensions": ext },
        "context": context(a, base),
        "timestamp": iso8601(c.at),
    })
}

fn completed(a: &Attempt, base: &str) -> Option<Value> {
    if a.end_kind.as_deref() != Some("outcome") {
        return None;
    }
    let rating = a.outcome_rating.clone().unwrap_or_default();
    let raw = score(&rating)?;
    let mut ext = Map::new();
    ext.insert(format!("{base}xapi/outcome"), json!(a.outcome_title));
    ext.insert(format!("{base}xapi/outcome-rating"), json!(rating));
    ext.insert(
        format!("{base}xapi/moves"),
        json!({ "good": a.moves[0], "mixed": a.moves[1], "bad": a.moves[2], "unrated": a.moves[3] }),
    );
    Some(json!({
        "id": uuid(&a.id, 0xffff),
        "version": "1.0.3",
        "actor": actor(a, base),
        "verb": { "id": "http://adlnet.gov/expapi/verbs/completed", "display": en("completed") },
        "object": story_activity(a, base),
        "result": {
            "completion": true,
            "success": rating == "good",
            "score": { "scaled": raw as f64 / 2.0, "raw": raw, "min": 0, "max": 2 },
            "extensions": ext,
        },
        "context": context(a, base),
        "timestamp": iso8601(a.finished.unwrap_or(a.started)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_uuids_have_their_forms() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(951_782_400_123), "2000-02-29T00:00:00.123Z");
        let u = uuid("00112233445566778899aabbccddeeff", 3);
        assert_eq!(u, "00112233-4455-4677-8899-aabbccddeefc");
        assert_ne!(uuid("00112233445566778899aabbccddeeff", 4), u);
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"no\""), "\"say \"\"no\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
