//! Random playthroughs of a generated 2,000-scene story: the time per choice of the
//! runtime's transition function (`Runner::available` + `Runner::choose`, no-op sink).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use threshold_runtime::ir::*;
use threshold_runtime::{Runner, Stop};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn lit(s: &str) -> Text {
    Text {
        parts: vec![TextPart::Lit(s.to_string())],
    }
}

fn var_ge(v: u32, c: i64) -> Expr {
    Expr::Bin(BinOp::Ge, Box::new(Expr::Var(v)), Box::new(Expr::Const(c)))
}

fn effect(var: u32, op: AssignOp, c: i64) -> Stmt {
    Stmt::Effects {
        effects: vec![Effect {
            var,
            op,
            value: Expr::Const(c),
        }],
    }
}

/// `scenes` scenes and 3 outcomes. Every scene opens with dialogue, narration that
/// interpolates a variable and a conditional line; it offers a sticky unguarded choice
/// (so play never gets stuck), a guarded sticky choice and a once-only choice. Choices
/// divert to a random scene, or (one time in twenty) to an outcome.
fn generate(scenes: usize, seed: u64) -> Story {
    let mut rng = Rng(seed);
    let outcomes = 3usize;
    let target = |rng: &mut Rng| -> NodeId {
        if rng.below(20) == 0 {
            (scenes + rng.below(outcomes)) as NodeId
        } else {
            rng.below(scenes) as NodeId
        }
    };
    let variables = (0..4)
        .map(|i| Variable {
            name: format!("v{i}"),
            label: None,
            shown: i == 0,
            ty: VarType::Int { lo: 0, hi: 10 },
            init: 5,
            at: Pos::default(),
        })
        .chain((0..2).map(|i| Variable {
            name: format!("b{i}"),
            label: None,
            shown: false,
            ty: VarType::Bool,
            init: 0,
            at: Pos::default(),
        }))
        .collect();
    let mut nodes = Vec::with_capacity(scenes + outcomes);
    for n in 0..scenes {
        let v = (n % 4) as u32;
        let body = vec![
            Stmt::Line {
                speaker: Some(0),
                text: lit("One more thing, before I go."),
            },
            Stmt::Line {
                speaker: None,
                text: Text {
                    parts: vec![
                        TextPart::Lit("The clock says ".into()),
                        TextPart::Expr {
                            expr: Expr::Var(v),
                            is_bool: false,
                        },
                    ],
                },
            },
            Stmt::If {
                branches: vec![Branch {
                    cond: var_ge(v, 7),
                    body: vec![
                        Stmt::Line {
                            speaker: None,
                            text: lit("They linger."),
                        },
                        effect(4, AssignOp::Set, 1),
                    ],
                }],
                otherwise: Vec::new(),
            },
        ];
        let choices = vec![
            Choice {
                sticky: true,
                guard: None,
                text: lit("Hold the frame."),
                body: vec![
                    effect(v, AssignOp::Add, 1),
                    Stmt::Note {
                        text: lit("Holding."),
                        rating: None,
                    },
                    Stmt::Divert {
                        target: target(&mut rng),
                    },
                ],
                at: Pos::default(),
            },
            Choice {
                sticky: true,
                guard: Some(var_ge((v + 1) % 4, 4)),
                text: lit("Name the feeling."),
                body: vec![
                    effect((v + 1) % 4, AssignOp::Sub, 2),
                    effect(5, AssignOp::Set, 1),
                    Stmt::Divert {
                        target: target(&mut rng),
                    },
                ],
                at: Pos::default(),
            },
            Choice {
                sticky: false,
                guard: None,
                text: lit("Walk them out."),
                body: vec![
                    effect((v + 2) % 4, AssignOp::Add, 3),
                    Stmt::Divert {
                        target: target(&mut rng),
                    },
                ],
                at: Pos::default(),
            },
        ];
        nodes.push(Node {
            id: format!("s{n}"),
            kind: NodeKind::Scene,
            title: None,
            at: Pos::default(),
            body,
            choices,
        });
    }
    for (i, rating) in [Rating::Good, Rating::Mixed, Rating::Bad]
        .into_iter()
        .enumerate()
    {
        nodes.push(Node {
            id: format!("o{i}"),
            kind: NodeKind::Outcome { rating },
            title: Some(format!("Outcome {i}")),
            at: Pos::default(),
            body: vec![Stmt::Line {
                speaker: None,
                text: lit("The door closes."),
            }],
            choices: Vec::new(),
        });
    }
    Story {
        format: FORMAT,
        title: "Generated".into(),
        author: None,
        summary: None,
        version: None,
        content_note: None,
        start: 0,
        files: vec!["generated.scene".into()],
        characters: vec![Character {
            id: "patient".into(),
            name: "Sam".into(),
        }],
        variables,
        nodes,
        checks: Vec::new(),
    }
}

const CHOICES_PER_ITER: u64 = 10_000;

fn bench_play(c: &mut Criterion) {
    let story = generate(2_000, 0x5EED_1234_ABCD_0001);
    let mut runner = Runner::new(&story);
    let mut rng = Rng(0x0DD_BA11);
    let mut offered = Vec::new();
    // The generated story is playable: random plays never get stuck and do end.
    let mut ended = 0;
    let (mut state, mut stop) = runner.start(&mut ());
    for _ in 0..100_000 {
        if stop != Stop::Choice {
            assert_eq!(stop, Stop::Outcome);
            ended += 1;
            (state, stop) = runner.start(&mut ());
            continue;
        }
        runner.available(&state, &mut offered);
        let pick = offered[rng.below(offered.len())];
        stop = runner.choose(&mut state, pick, &mut ());
    }
    assert!(ended > 1_000, "plays should end often: {ended}");
    (state, stop) = runner.start(&mut ());
    let mut plays = 0u64;
    let mut group = c.benchmark_group("play");
    group.throughput(Throughput::Elements(CHOICES_PER_ITER));
    group.bench_function("random choice, 2000 scenes", |b| {
        b.iter(|| {
            for _ in 0..CHOICES_PER_ITER {
                if stop != Stop::Choice {
                    (state, stop) = runner.start(&mut ());
                    plays += 1;
                }
                runner.available(&state, &mut offered);
                let pick = offered[rng.below(offered.len())];
                stop = runner.choose(&mut state, pick, &mut ());
            }
            black_box(&state);
        })
    });
    group.finish();
    black_box(plays);
}

criterion_group!(benches, bench_play);
criterion_main!(benches);
