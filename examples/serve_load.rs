//! Load and faults for `threshold serve`, as a benchmark (not a test): N simulated
//! trainees play one story at once against one server on 127.0.0.1, each choosing at
//! random until an outcome; it reports choices per second and the latency of choice
//! POSTs (each commits to SQLite before it answers). With `--kill-after-ms`, the
//! server is killed with SIGKILL mid-load, started again on the same database, and
//! every acknowledged choice is looked for in the database (`threshold export`) and
//! every attempt resumed to its end. Bounded in trainees and in time; it stops by itself.
//!
//! ```sh
//! cargo build --release --bin threshold
//! cargo run --release --example serve_load -- --trainees 500 --think-ms 1000
//! cargo run --release --example serve_load -- --trainees 500 --kill-after-ms 3000
//! ```

#[path = "../tests/common/http.rs"]
mod http;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{value_of, Response};

struct Opts {
    bin: String,
    story: String,
    trainees: usize,
    think_ms: u64,
    kill_after_ms: Option<u64>,
    limit: Duration,
}

fn opts() -> Opts {
    let mut o = Opts {
        bin: "target/release/threshold".into(),
        story: "stories/doorway-phone-number".into(),
        trainees: 500,
        think_ms: 0,
        kill_after_ms: None,
        limit: Duration::from_secs(120),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--bin" => o.bin = v,
            "--story" => o.story = v,
            "--trainees" => o.trainees = v.parse::<usize>().expect("a number").min(2000),
            "--think-ms" => o.think_ms = v.parse().expect("a number"),
            "--kill-after-ms" => o.kill_after_ms = Some(v.parse().expect("a number")),
            "--limit-s" => {
                o.limit = Duration::from_secs(v.parse::<u64>().expect("a number").min(600))
            }
            other => panic!("unknown option {other}"),
        }
    }
    o
}

fn start(bin: &str, story: &str, db: &str) -> (Child, String) {
    http::listen(Command::new(bin).args([
        "serve",
        story,
        "--addr",
        "127.0.0.1:0",
        "--db",
        db,
        "--workers",
        "8",
    ]))
}

fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookie: &str,
    body: &str,
) -> std::io::Result<Response> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let cookie = if cookie.is_empty() {
        String::new()
    } else {
        format!("Cookie: {cookie}\r\n")
    };
    let mut head = http::head(method, addr, path, &cookie, body.len());
    head.push_str(body);
    s.write_all(head.as_bytes())?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    if !text.contains("\r\n\r\n") {
        return Err(std::io::Error::other("no response"));
    }
    Ok(Response::parse(&text))
}

fn offers(page: &str) -> usize {
    page.matches("name=\"choice\" value=").count()
}

/// A trainee's attempt: its path, cookie, CSRF token, and the choices acknowledged.
#[derive(Clone, Default)]
struct Trainee {
    at: String,
    cookie: String,
    csrf: String,
    acked: Vec<usize>,
    done: bool,
}

struct Shared {
    latencies: Mutex<Vec<f64>>,
    page_latencies: Mutex<Vec<f64>>,
}

/// Plays until an outcome, an error (the server gone) or the deadline.
fn play(addr: &str, t: &mut Trainee, seed: u64, think: u64, deadline: Instant, shared: &Shared) {
    let mut rng = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    if t.at.is_empty() {
        let Ok(list) = request(addr, "GET", "/", "", "") else {
            return;
        };
        t.cookie = list.cookies().last().unwrap_or_default().to_string();
        t.csrf = value_of(&list.body, "csrf").unwrap_or_default();
        let form = format!(
            "csrf={}&story=doorway-phone-number&name=Load+{seed}&cohort=LOAD",
            t.csrf
        );
        let Ok(r) = request(addr, "POST", "/start", &t.cookie, &form) else {
            return;
        };
        let Some(at) = r.location() else { return };
        t.at = at.to_string();
    }
    while Instant::now() < deadline {
        let t0 = Instant::now();
        let Ok(page) = request(addr, "GET", &t.at, &t.cookie, "") else {
            return;
        };
        shared
            .page_latencies
            .lock()
            .unwrap()
            .push(t0.elapsed().as_secs_f64() * 1000.0);
        let n = offers(&page.body);
        let Some(step) = value_of(&page.body, "step") else {
            t.done = page.status == 200 && page.body.contains("Debrief");
            return;
        };
        if think > 0 {
            std::thread::sleep(Duration::from_millis(think / 2 + next() % think.max(1)));
        }
        let choice = 1 + (next() % n.max(1) as u64) as usize;
        let form = format!("csrf={}&step={step}&choice={choice}", t.csrf);
        let t0 = Instant::now();
        let Ok(r) = request(addr, "POST", &format!("{}/choose", t.at), &t.cookie, &form) else {
            return;
        };
        let ms = t0.elapsed().as_secs_f64() * 1000.0;
        if r.status != 303 {
            return;
        }
        shared.latencies.lock().unwrap().push(ms);
        t.acked.push(choice);
    }
}

fn run_all(
    addr: &str,
    trainees: &mut [Trainee],
    think: u64,
    deadline: Instant,
    shared: &Arc<Shared>,
) {
    let handles: Vec<_> = trainees
        .iter()
        .cloned()
        .enumerate()
        .map(|(k, mut t)| {
            let addr = addr.to_string();
            let shared = Arc::clone(shared);
            std::thread::spawn(move || {
                play(&addr, &mut t, k as u64 + 1, think, deadline, &shared);
                t
            })
        })
        .collect();
    for (k, h) in handles.into_iter().enumerate() {
        trainees[k] = h.join().unwrap();
    }
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let o = opts();
    let dir = std::env::temp_dir().join(format!("threshold-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("load.db").display().to_string();
    let (mut server, addr) = start(&o.bin, &o.story, &db);
    let shared = Arc::new(Shared {
        latencies: Mutex::new(Vec::new()),
        page_latencies: Mutex::new(Vec::new()),
    });
    let mut trainees = vec![Trainee::default(); o.trainees];
    let began = Instant::now();
    let deadline = began + o.limit;
    if let Some(ms) = o.kill_after_ms {
        let pid = server.id();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        });
    }
    run_all(&addr, &mut trainees, o.think_ms, deadline, &shared);
    let secs = began.elapsed().as_secs_f64();
    let _ = server.kill();
    let _ = server.wait();
    let mut lat = shared.latencies.lock().unwrap().clone();
    let mut pages = shared.page_latencies.lock().unwrap().clone();
    let choices = lat.len();
    println!(
        "{} trainees, think {} ms: {choices} choices acknowledged in {secs:.1} s = {:.0} choices/s; \
         choice POST p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; page GET p50 {:.1} ms, p99 {:.1} ms; \
         {} attempts ended",
        o.trainees,
        o.think_ms,
        choices as f64 / secs,
        pct(&mut lat, 0.5),
        pct(&mut lat, 0.99),
        pct(&mut lat, 1.0),
        pct(&mut pages, 0.5),
        pct(&mut pages, 0.99),
        trainees.iter().filter(|t| t.done).count()
    );
    if o.kill_after_ms.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    // After the kill: every acknowledged choice is in the database.
    let out = Command::new(&o.bin)
        .args(["export", "--format", "csv", "--db", &db])
        .output()
        .unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    let mut stored: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        if let (Ok(step), Ok(n)) = (cells[12].parse::<usize>(), cells[13].parse::<usize>()) {
            stored
                .entry(cells[0].to_string())
                .or_default()
                .push((step, n));
        }
    }
    let mut missing = 0;
    let mut acked = 0;
    for t in trainees.iter().filter(|t| !t.at.is_empty()) {
        let id = t.at.trim_start_matches("/a/");
        let have: HashSet<(usize, usize)> = stored
            .get(id)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        for (k, &n) in t.acked.iter().enumerate() {
            acked += 1;
            if !have.contains(&(k + 1, n)) {
                missing += 1;
            }
        }
    }
    println!("after kill -9: {acked} acknowledged choices, {missing} missing from the database");

    // Restart on the same file; every attempt resumes and plays to its end.
    let (mut server, addr) = start(&o.bin, &o.story, &db);
    let started: Vec<usize> = (0..trainees.len())
        .filter(|&k| !trainees[k].at.is_empty())
        .collect();
    let mut again: Vec<Trainee> = started
        .iter()
        .map(|&k| Trainee {
            done: false,
            acked: Vec::new(),
            ..trainees[k].clone()
        })
        .collect();
    run_all(&addr, &mut again, 0, Instant::now() + o.limit, &shared);
    let resumed = again.iter().filter(|t| t.done).count();
    println!(
        "restarted: {} of {} started attempts resumed and reached an outcome",
        resumed,
        again.len()
    );
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if missing > 0 || resumed < again.len() {
        std::process::exit(1);
    }
}
