//! `threshold play`: plays a story in the console, or as JSON events with `--json`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde_json::{json, Map, Value};
use threshold_runtime::ir::{Story, Text};
use threshold_runtime::{Runner, Sink, State, Stop};

use crate::load::load_story;
use crate::report::{self, Style};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The story: a `.scene` file or a folder of them.
    #[arg(value_name = "STORY")]
    pub story: PathBuf,
    /// Pick choices by their number among those offered at each step, e.g. `2,1,3`.
    #[arg(long, value_name = "N,N,…", value_delimiter = ',')]
    pub choices: Option<Vec<usize>>,
    /// Write one JSON object per line instead of the console view.
    #[arg(long)]
    pub json: bool,
}

/// Something play reports.
#[derive(Debug, Clone)]
pub enum Event {
    Line {
        node: String,
        speaker: Option<String>,
        text: String,
    },
    Note {
        text: String,
    },
}

/// Collects what a transition says, rendered in the state at that moment.
struct Collect<'a> {
    story: &'a Story,
    node: u32,
    events: Vec<Event>,
}

impl Sink for Collect<'_> {
    fn enter(&mut self, node: u32) {
        self.node = node;
    }

    fn line(&mut self, speaker: Option<u32>, text: &Text, state: &State) {
        self.events.push(Event::Line {
            node: self.story.nodes[self.node as usize].id.clone(),
            speaker: speaker.map(|s| self.story.characters[s as usize].id.clone()),
            text: self.story.render(text, state),
        });
    }

    fn note(&mut self, text: &Text, state: &State) {
        self.events.push(Event::Note {
            text: self.story.render(text, state),
        });
    }
}

fn emit(v: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
}

fn variables_json(story: &Story, state: &State) -> Value {
    let mut m = Map::new();
    for (v, &x) in story.variables.iter().zip(&state.vars) {
        let val = if v.is_bool() { json!(x != 0) } else { json!(x) };
        m.insert(v.name.clone(), val);
    }
    Value::Object(m)
}

pub fn run(args: &Args) -> u8 {
    let sources = match load_story(&args.story) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let lowered = threshold_compiler::lower(&sources);
    let Some(story) = &lowered.story else {
        let style = Style::for_stdout();
        let resolved = report::resolve(&sources, &lowered.diagnostics);
        for (_, d) in &resolved {
            if d.is_error() {
                println!("{}", report::render(&sources, d, style));
            }
        }
        eprintln!(
            "error: `{}` has errors and cannot be played; `threshold check` shows them all",
            args.story.display()
        );
        return 1;
    };
    play(story, args)
}

fn play(story: &Story, args: &Args) -> u8 {
    let mut runner = Runner::new(story);
    let mut sink = Collect {
        story,
        node: story.start,
        events: Vec::new(),
    };
    let (mut state, mut stop) = runner.start(&mut sink);
    let mut scripted = args.choices.clone().unwrap_or_default().into_iter();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        for e in sink.events.drain(..) {
            print_event(&e, args.json);
        }
        let node = &story.nodes[state.node as usize];
        match stop {
            Stop::Outcome => {
                if args.json {
                    emit(&json!({
                        "event": "outcome",
                        "id": node.id,
                        "rating": node.rating().map_or("mixed", |r| r.as_str()),
                        "title": node.title.clone().unwrap_or_default(),
                        "variables": variables_json(story, &state),
                    }));
                } else {
                    println!(
                        "\n== {} ({}) ==",
                        node.title.clone().unwrap_or_default(),
                        node.rating().map_or("mixed", |r| r.as_str())
                    );
                    for (v, &x) in story.variables.iter().zip(&state.vars) {
                        println!("  {}: {}", v.display_name(), v.format(x));
                    }
                }
                return 0;
            }
            Stop::DeadEnd | Stop::DivertLoop { .. } => {
                let (at, reason) = match stop {
                    Stop::DivertLoop { node } => (node, "divert-loop"),
                    _ => (state.node, "dead-end"),
                };
                let id = &story.nodes[at as usize].id;
                if args.json {
                    emit(&json!({"event": "stuck", "node": id, "reason": reason}));
                } else {
                    eprintln!("The story is stuck at `{id}` ({reason}); `threshold check` explains why.");
                }
                return 3;
            }
            Stop::Choice => {}
        }
        let mut offered = Vec::new();
        runner.available(&state, &mut offered);
        let texts: Vec<String> = offered
            .iter()
            .map(|&i| story.render(&node.choices[i].text, &state))
            .collect();
        if args.json {
            let list: Vec<Value> = texts
                .iter()
                .enumerate()
                .map(|(k, t)| json!({"number": k + 1, "text": t}))
                .collect();
            emit(&json!({"event": "choices", "node": node.id, "choices": list}));
        } else {
            println!();
            for (k, t) in texts.iter().enumerate() {
                println!("  {}. {t}", k + 1);
            }
        }
        let number = match scripted.next() {
            Some(n) => {
                if n == 0 || n > offered.len() {
                    eprintln!(
                        "error: choice {n} is not offered at `{}`; choose from 1 to {}",
                        node.id,
                        offered.len()
                    );
                    return 2;
                }
                n
            }
            None if args.json => {
                emit(&json!({"event": "paused", "node": node.id}));
                return 0;
            }
            None => match ask(&mut input, offered.len()) {
                Some(n) => n,
                None => {
                    println!("\nGoodbye.");
                    return 0;
                }
            },
        };
        let index = offered[number - 1];
        if args.json {
            emit(&json!({"event": "chose", "number": number, "text": texts[number - 1]}));
        } else {
            println!("> {}", texts[number - 1]);
        }
        stop = runner.choose(&mut state, index, &mut sink);
    }
}

fn ask(input: &mut impl BufRead, n: usize) -> Option<usize> {
    loop {
        print!("Your choice (1-{n}): ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        match line.trim().parse::<usize>() {
            Ok(k) if (1..=n).contains(&k) => return Some(k),
            _ => println!("Type a number from 1 to {n}."),
        }
    }
}

fn print_event(e: &Event, as_json: bool) {
    match (e, as_json) {
        (Event::Line { node, speaker, text }, true) => {
            emit(&json!({"event": "line", "node": node, "speaker": speaker, "text": text}))
        }
        (Event::Note { text }, true) => emit(&json!({"event": "note", "text": text})),
        (Event::Line { speaker: Some(s), text, .. }, false) => println!("{s}: {text}"),
        (Event::Line { text, .. }, false) => println!("{text}"),
        (Event::Note { .. }, false) => {}
    }
}
