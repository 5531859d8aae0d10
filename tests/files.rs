//! The file rules end to end: what the loader refuses to read (FIFOs, devices, files over
//! 64 MiB, links to folders) without blocking, and where the writers refuse to write or
//! write through (the story's own files, FIFOs, devices, links, `-`), temporary files
//! created exclusively and tidied after a crash, and two players sharing one save.
#![cfg(unix)]

mod common;

use std::io::Read;
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::{code, command, s, scratch, spawn, stderr, Ended, Live};

const DOOR: &str = "tests/fixtures/play/door.scene";
const DEADLINE: Duration = Duration::from_secs(20);

/// Runs `threshold ARGS` with empty standard input; a run that outlives [`DEADLINE`] is
/// killed and fails the test (a hang must fail, not hang the suite).
fn run(args: &[&str]) -> Output {
    let mut child = spawn(args, Stdio::null());
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`threshold {}` did not finish in {DEADLINE:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.recv().unwrap(),
        stderr: err.recv().unwrap(),
    }
}

/// Reads a pipe to its end on a thread.
fn drain(mut r: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = r.read_to_end(&mut v);
        let _ = tx.send(v);
    });
    rx
}

fn mkfifo(p: &Path) {
    let ok = Command::new("mkfifo").arg(p).status().expect("mkfifo runs");
    assert!(ok.success(), "mkfifo {}", p.display());
}

fn door_copy(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(DOOR), &p).unwrap();
    p
}

/// Exit 2 and an error naming `path` and containing `why`.
fn assert_refused(o: &Output, path: &Path, why: &str) {
    let e = stderr(o);
    assert_eq!(code(o), 2, "stderr: {e}");
    assert!(
        e.contains(s(path)),
        "the error names {}: {e}",
        path.display()
    );
    assert!(e.contains(why), "expected {why:?} in: {e}");
    assert!(e.contains("help:"), "the error says what to do: {e}");
}

// ---------------------------------------------------------------- the loader

#[test]
fn a_fifo_story_is_refused_without_blocking() {
    let dir = scratch("fifo-story");
    let fifo = dir.join("story.scene");
    mkfifo(&fifo);
    for cmd in ["check", "play", "analyze", "graph", "compile"] {
        let o = run(&[cmd, s(&fifo)]);
        assert_refused(&o, &fifo, "FIFO");
    }
}

#[test]
fn a_fifo_inside_a_story_folder_is_refused() {
    let dir = scratch("fifo-in-folder");
    door_copy(&dir, "a.scene");
    let fifo = dir.join("b.scene");
    mkfifo(&fifo);
    // Another kind of file that is not a scene is not read at all.
    mkfifo(&dir.join("notes.txt"));
    let o = run(&["check", s(&dir)]);
    assert_refused(&o, &fifo, "FIFO");
}

#[test]
fn a_fifo_test_file_is_refused_without_blocking() {
    let dir = scratch("fifo-test");
    door_copy(&dir, "door.scene");
    let fifo = dir.join("door.test");
    mkfifo(&fifo);
    // Given by itself, found beside the story, and found in a folder.
    for arg in [fifo.clone(), dir.join("door.scene"), dir.clone()] {
        let o = run(&["test", s(&arg)]);
        assert_refused(&o, &fifo, "FIFO");
    }
}

#[test]
fn a_scene_link_to_dev_zero_is_refused() {
    let dir = scratch("dev-zero");
    let link = dir.join("zero.scene");
    symlink("/dev/zero", &link).unwrap();
    let o = run(&["check", s(&link)]);
    assert_refused(&o, &link, "device");
    // Inside a folder too.
    door_copy(&dir, "a.scene");
    let o = run(&["check", s(&dir)]);
    assert_refused(&o, &link, "device");
    // And as a save to resume from.
    let o = run(&["play", "--resume", s(&link), DOOR]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn a_story_file_over_64_mib_is_refused_before_it_is_read() {
    let dir = scratch("big");
    let big = dir.join("big.scene");
    // Sparse: 65 MiB of nothing, cheap to make.
    std::fs::File::create(&big)
        .unwrap()
        .set_len(65 * 1024 * 1024)
        .unwrap();
    let o = run(&["check", s(&big)]);
    assert_refused(&o, &big, "64 MiB");
    // Exactly at the limit is read (and is then simply not a story).
    std::fs::File::create(&big)
        .unwrap()
        .set_len(64 * 1024 * 1024)
        .unwrap();
    let o = run(&["check", "--format", "json", s(&big)]);
    assert_ne!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn links_to_folders_inside_a_story_folder_are_not_followed() {
    let dir = scratch("up-links");
    let story = dir.join("story");
    std::fs::create_dir_all(story.join("part")).unwrap();
    door_copy(&story.join("part"), "door.scene");
    // Two links up: followed, they would walk 2^depth paths.
    symlink("..", story.join("part/up")).unwrap();
    symlink("..", story.join("part/up2")).unwrap();
    symlink("../..", story.join("part/top")).unwrap();
    let o = run(&["check", s(&story)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(&["test", s(&story)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn links_to_files_inside_a_story_folder_are_followed() {
    let dir = scratch("file-links");
    let elsewhere = dir.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let real = door_copy(&elsewhere, "door.scene");
    let story = dir.join("story");
    std::fs::create_dir_all(&story).unwrap();
    symlink(&real, story.join("door.scene")).unwrap();
    let o = run(&["check", s(&story)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

// ---------------------------------------------------------------- writing: the story's files

#[test]
fn a_save_or_transcript_onto_the_story_is_refused_and_nothing_is_written() {
    let dir = scratch("onto-story").join("story");
    std::fs::create_dir_all(&dir).unwrap();
    let story = door_copy(&dir, "door.scene");
    let before = std::fs::read(&story).unwrap();
    let alias = dir.join("../alias.scene");
    symlink(&story, &alias).unwrap();
    let dotted = dir.join(".").join("door.scene");
    for flag in ["--save", "--transcript"] {
        for target in [&story, &alias, &dotted] {
            let o = run(&["play", "--choices", "1", flag, s(target), s(&story)]);
            assert_refused(&o, target, "one of the story's files");
            assert!(o.stdout.is_empty(), "nothing was played");
            assert_eq!(std::fs::read(&story).unwrap(), before);
        }
    }
    // Resuming from the story (and so saving back to it) is refused the same way.
    let o = run(&["play", "--resume", s(&story), s(&story)]);
    assert_refused(&o, &story, "one of the story's files");
    // A folder story's files, and `-o`.
    let o = run(&["play", "--save", s(&story), s(&dir)]);
    assert_refused(&o, &story, "one of the story's files");
    for cmd in ["compile", "graph"] {
        let o = run(&[cmd, s(&story), "-o", s(&story)]);
        assert_refused(&o, &story, "one of the story's files");
    }
    assert_eq!(std::fs::read(&story).unwrap(), before);
}

#[test]
fn the_save_and_the_transcript_cannot_be_one_file() {
    let dir = scratch("same-file");
    let f = dir.join("both");
    let o = run(&[
        "play",
        "--choices",
        "1",
        "--save",
        s(&f),
        "--transcript",
        s(&f),
        DOOR,
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(!f.exists());
}

// ---------------------------------------------------------------- writing: `-o`

#[test]
fn output_dash_is_standard_output() {
    let dir = scratch("dash");
    let o = command()
        .current_dir(&dir)
        .args([
            "compile",
            &format!("{}/{DOOR}", env!("CARGO_MANIFEST_DIR")),
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["title"], "The last five minutes");
    assert!(!dir.join("-").exists(), "no file named `-`");
    let o = run(&["graph", DOOR, "-o", "-"]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("digraph"));
}

#[test]
fn output_onto_a_fifo_writes_through_it() {
    let dir = scratch("out-fifo");
    let fifo = dir.join("out.json");
    mkfifo(&fifo);
    let reader = {
        let fifo = fifo.clone();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::fs::File::open(&fifo).and_then(|mut f| f.read_to_end(&mut v));
            let _ = tx.send(v);
        });
        rx
    };
    let o = run(&["compile", DOOR, "-o", s(&fifo)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let meta = std::fs::symlink_metadata(&fifo).unwrap();
    assert!(meta.file_type().is_fifo(), "the FIFO was replaced");
    let got = reader
        .recv_timeout(DEADLINE)
        .expect("the reader got the output");
    let v: serde_json::Value = serde_json::from_slice(&got).unwrap();
    assert_eq!(v["title"], "The last five minutes");
}

#[test]
fn output_onto_a_link_writes_to_what_it_names_and_keeps_the_link() {
    let dir = scratch("out-link");
    let real = dir.join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.join("link.json");
    symlink(&real, &link).unwrap();
    let o = run(&["compile", DOOR, "-o", s(&link)]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
    assert_eq!(v["title"], "The last five minutes");

    // A link to a device is written through, and stays a link.
    let null = dir.join("null");
    symlink("/dev/null", &null).unwrap();
    for cmd in ["compile", "graph"] {
        let o = run(&[cmd, DOOR, "-o", s(&null)]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let meta = std::fs::symlink_metadata(&null).unwrap();
        assert!(meta.file_type().is_symlink(), "the link was replaced");
    }
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());

    // A link that leads nowhere, and a folder, are refused.
    let dangling = dir.join("dangling.json");
    symlink(dir.join("nowhere/x.json"), &dangling).unwrap();
    let o = run(&["compile", DOOR, "-o", s(&dangling)]);
    assert_refused(&o, &dangling, "does not exist");
    let o = run(&["compile", DOOR, "-o", s(&dir)]);
    assert_refused(&o, &dir, "folder");
}

#[test]
fn a_save_or_transcript_onto_a_fifo_is_refused() {
    let dir = scratch("save-fifo");
    let fifo = dir.join("s.json");
    mkfifo(&fifo);
    for flag in ["--save", "--transcript"] {
        let o = run(&["play", "--choices", "1", flag, s(&fifo), DOOR]);
        assert_refused(&o, &fifo, "not a regular file");
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }
}

// ---------------------------------------------------------------- writing: temporary files

#[test]
fn a_planted_link_at_the_temporary_name_is_not_followed() {
    let dir = scratch("planted");
    let victim = dir.join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let save = dir.join("s.json");
    let transcript = dir.join("t.md");
    let mut live = Live::start(&[
        "play",
        "--save",
        s(&save),
        "--transcript",
        s(&transcript),
        DOOR,
    ]);
    // Plant links at every name the temporary files were once given (`.NAME.tmp<PID>`)
    // and at the start of the names they have now.
    let pid = live.child.id();
    for name in ["s.json", "t.md"] {
        for planted in [
            format!(".{name}.tmp{pid}"),
            format!(".{name}.threshold-tmp{pid}"),
        ] {
            let _ = symlink(&victim, dir.join(planted));
        }
    }
    live.past_note();
    live.send("1\n");
    let Ended {
        code, stderr: err, ..
    } = live.finish();
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&save).unwrap()).unwrap();
    assert_eq!(saved["choices"], serde_json::json!([1]));
    assert!(std::fs::read_to_string(&transcript)
        .unwrap()
        .starts_with("# Transcript"));
}

#[test]
fn orphaned_temporary_files_are_removed_on_the_next_save() {
    let dir = scratch("orphans");
    let save = dir.join("s.json");
    // Left by processes that were killed (PIDs that cannot be running), by this
    // version and by earlier ones.
    let dead = u32::MAX / 2;
    let orphans = [
        format!(".s.json.threshold-tmp{dead}-aB3dE9"),
        format!(".s.json.tmp{dead}"),
    ];
    // Being written now by a live process (this test), and files that only look alike.
    let live = format!(".s.json.threshold-tmp{}-xY7zQ1", std::process::id());
    let keep = [
        live.as_str(),
        ".s.json.tmpnotes",
        ".other.json.tmp1",
        "s.json.bak",
    ];
    for name in orphans.iter().map(String::as_str).chain(keep) {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    // An orphan of a live PID that is older than a minute is stale too.
    let old = format!(".s.json.threshold-tmp{}-oLdoLd", std::process::id());
    let f = std::fs::File::create(dir.join(&old)).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(600))
        .unwrap();
    drop(f);

    let o = run(&["play", "--choices", "1", "--save", s(&save), DOOR]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for name in orphans.iter().chain([&old]) {
        assert!(!dir.join(name).exists(), "{name} was left");
    }
    for name in keep {
        assert!(dir.join(name).exists(), "{name} was removed");
    }
    // Nothing of this run's own is left behind either.
    let left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("threshold-tmp") && n.as_str() != live)
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

// ---------------------------------------------------------------- two players, one save

#[test]
fn a_second_player_does_not_overwrite_a_newer_save() {
    let dir = scratch("two-players");
    let save = dir.join("s.json");
    let o = run(&["play", "--json", "--choices", "1", "--save", s(&save), DOOR]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));

    // Both resume the same save and wait at the prompt.
    let mut first = Live::start(&["play", "--resume", s(&save), DOOR]);
    first.past_note();
    let mut second = Live::start(&["play", "--resume", s(&save), DOOR]);
    second.past_note();

    // The second moves on and saves; the first then tries to save over it.
    second.send("1\n");
    let Ended {
        code: code2,
        stderr: err2,
        ..
    } = second.finish();
    assert_eq!(code2, Some(0), "{err2}");
    let newer = std::fs::read(&save).unwrap();
    first.send("2\n");
    let Ended {
        code: code1,
        stderr: err1,
        ..
    } = first.finish();
    assert_eq!(code1, Some(2), "the first player is stopped: {err1}");
    assert!(err1.contains("another session"), "{err1}");
    assert!(err1.contains("--resume"), "{err1}");
    assert_eq!(
        std::fs::read(&save).unwrap(),
        newer,
        "the newer save stands"
    );

    // One player alone goes on saving to its file as before.
    let save = dir.join("alone.json");
    let o = run(&["play", "--json", "--choices", "1", "--save", s(&save), DOOR]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut alone = Live::start(&["play", "--resume", s(&save), DOOR]);
    alone.past_note();
    alone.send("2\n");
    let Ended {
        code, stderr: err, ..
    } = alone.finish();
    assert_eq!(code, Some(0), "{err}");
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&save).unwrap()).unwrap();
    assert_eq!(saved["choices"], serde_json::json!([1, 2]));
}
